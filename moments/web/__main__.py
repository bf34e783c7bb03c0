"""`python -m moments.web [--host H] [--port P]`: serve the web page with the chat widget (default :8080).

Environment: WEB_HOST, WEB_PORT, AGENCIES_URL (mock Singpass; default http://127.0.0.1:8000),
WEB_RASA_URL (Rasa as the browser reaches it; default: the page's host name on RASA_PORT, 5005).
"""
from __future__ import annotations

import argparse

import uvicorn

from .app import WebSettings, create_app


def main(argv: list[str] | None = None) -> None:
    from moments import secrets
    from moments.privacy import logs as privacy_logs

    privacy_logs.install()  # uvicorn's and the page's log lines masked like every other service's
    secrets.require("web page", ["AGENCIES_API_KEY"])
    settings = WebSettings.from_env()
    parser = argparse.ArgumentParser(prog="python -m moments.web", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=settings.host, help="default WEB_HOST or 127.0.0.1")
    parser.add_argument("--port", type=int, default=settings.port, help="default WEB_PORT or 8080")
    args = parser.parse_args(argv)
    print(f"web page         http://{args.host}:{args.port}/", flush=True)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, access_log=False, server_header=False,
                log_level="info")


if __name__ == "__main__":
    main()
