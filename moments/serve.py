"""Start the Rasa server and the action server safe by default (what `make run` and the test stack use).

    python -m moments.serve rasa [rasa run arguments…]     Rasa with --enable-api behind --auth-token
    python -m moments.serve actions [--port 5055]          rasa-sdk's action server behind a shared secret

Both read their secrets from the environment (`moments.secrets`; `scripts/run.sh` exports var/secrets.env) and refuse
to start with an empty or development secret unless MOMENTS_DEV=1 (then they warn on the terminal).

Rasa: `--auth-token $RASA_AUTH_TOKEN` is added here rather than on the command line, so the token is not visible
in `ps` to other users of the machine; `--interface` defaults to 127.0.0.1 (RASA_INTERFACE) and `--cors` to the web
page's own origin(s) (WEB_ORIGINS, comma-separated) unless given. endpoints.yml sends ACTION_SERVER_SECRET to the
action server in the X-Moments-Action-Secret header.

Action server: rasa-sdk's own Sanic app (create_app) with one middleware that answers 401 to any request without
the shared secret, except GET /health; it listens on 127.0.0.1 (ACTIONS_INTERFACE). A middleware in the same
process rather than an authenticating proxy in front: one process fewer to start, supervise and keep bound to
loopback, and the check cannot be bypassed by reaching the sdk's port directly.
"""
from __future__ import annotations

import argparse
import hmac
import os
import sys
from typing import List, Optional

from moments import secrets

ACTION_SECRET_HEADER = "X-Moments-Action-Secret"
DEFAULT_WEB_ORIGINS = "http://127.0.0.1:8080,http://localhost:8080"


def _has(args: List[str], flag: str) -> bool:
    return any(a == flag or a.startswith(flag + "=") for a in args)


def rasa_arguments(args: List[str], env=os.environ) -> List[str]:
    """`rasa run` arguments with authentication, a loopback interface and a narrow CORS added unless given."""
    out = ["run", *args]
    if not _has(args, "--enable-api"):
        out.append("--enable-api")
    if not _has(args, "--auth-token"):
        out += ["--auth-token", env["RASA_AUTH_TOKEN"]]
    if not _has(args, "--interface") and not _has(args, "-i"):
        out += ["--interface", env.get("RASA_INTERFACE") or "127.0.0.1"]
    if not _has(args, "--cors"):
        origins = [o.strip() for o in (env.get("WEB_ORIGINS") or DEFAULT_WEB_ORIGINS).split(",") if o.strip()]
        out += ["--cors", *origins]
    return out


def serve_rasa(args: List[str]) -> None:
    secrets.require("Rasa server", ["RASA_AUTH_TOKEN", "ACTION_SERVER_SECRET"])
    argv = rasa_arguments(args)
    from moments.privacy import logs as privacy_logs

    privacy_logs.install()  # Rasa's own log lines and tracebacks masked like ours
    if "*" in argv[argv.index("--cors") + 1:]:
        secrets.warn("Rasa server: --cors '*' lets any web page call the API from a browser.")
    from rasa.__main__ import main

    sys.argv = ["rasa", *argv]
    main()


def create_action_app(package: str = "actions", secret: Optional[str] = None):
    """rasa-sdk's action server app, answering only callers that send the shared secret."""
    from rasa_sdk.endpoint import create_app
    from sanic import response

    app = create_app(package, cors_origins=[])
    expected = (secret if secret is not None else os.environ.get("ACTION_SERVER_SECRET", "")).encode()

    @app.middleware("request")
    async def require_secret(request):  # noqa: ANN001 (Sanic's request)
        if request.method == "GET" and request.path == "/health":
            return None
        given = (request.headers.get(ACTION_SECRET_HEADER) or "").encode()
        if not expected or not hmac.compare_digest(given, expected):
            return response.json({"error": "unauthorized", "reason": f"missing or wrong {ACTION_SECRET_HEADER}"},
                                 status=401)
        return None

    return app


def serve_actions(args: List[str]) -> None:
    p = argparse.ArgumentParser(prog="python -m moments.serve actions")
    p.add_argument("--port", type=int, default=int(os.environ.get("ACTIONS_PORT", "5055")))
    p.add_argument("--actions", default="actions")
    p.add_argument("--interface", default=os.environ.get("ACTIONS_INTERFACE") or "127.0.0.1")
    a = p.parse_args(args)
    secrets.require("action server", ["ACTION_SERVER_SECRET", "AGENCIES_API_KEY", "CHANNEL_IDENTITY_KEY"])
    import logging

    from rasa_sdk import utils

    from moments.privacy import logs as privacy_logs

    privacy_logs.install()  # the action server's and rasa-sdk's log lines masked like ours

    logging.basicConfig(level=os.environ.get("ACTIONS_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    app = create_action_app(a.actions)
    print(f"action server on http://{a.interface}:{a.port} (callers must send {ACTION_SECRET_HEADER})", flush=True)
    app.run(a.interface, a.port, workers=utils.number_of_sanic_workers(), access_log=False)


def main(argv: Optional[List[str]] = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("rasa", "actions"):
        raise SystemExit(__doc__)
    (serve_rasa if argv[0] == "rasa" else serve_actions)(argv[1:])


if __name__ == "__main__":
    main()
