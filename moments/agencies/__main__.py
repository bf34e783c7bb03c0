"""`python -m moments.agencies [--host H] [--port P] [--reset]`: run the agency services with uvicorn."""
from __future__ import annotations

import argparse
import logging.config

import uvicorn

from moments import secrets

from .app import create_app
from .config import SECRET_NAMES, Settings
from .db import make_engine
from .logs import log_config
from .seed import reset


def main(argv: list[str] | None = None) -> None:
    secrets.require("agency services", SECRET_NAMES)
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(prog="python -m moments.agencies", description=__doc__)
    parser.add_argument("--host", default=settings.host, help="default AGENCIES_HOST or 127.0.0.1")
    parser.add_argument("--port", type=int, default=settings.port, help="default AGENCIES_PORT or 8000")
    parser.add_argument("--reset", action="store_true",
                        help="drop every table and seed again relative to today (the data is lost)")
    args = parser.parse_args(argv)
    config = log_config(settings.log_level)
    logging.config.dictConfig(config)
    if args.reset:
        engine = make_engine(settings.database_url)
        reset(engine)
        engine.dispose()
        logging.getLogger("moments.agencies").warning("database reset: it will be seeded again on start")
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_config=config, access_log=False,
                server_header=False, proxy_headers=False, timeout_keep_alive=30)


if __name__ == "__main__":
    main()
