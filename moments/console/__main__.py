"""`python -m moments.console [--host H] [--port P]`: the trainers' and operators' console (default 127.0.0.1:8090).

Environment: CONSOLE_HOST, CONSOLE_PORT, CONSOLE_PROJECT (the project whose data it edits; default this checkout),
CONSOLE_TRACKER_URL (SQLAlchemy URL of the tracker store; default endpoints.yml's), CONSOLE_RASA_URL (the Rasa
server it deploys to; default http://127.0.0.1:$RASA_PORT), and the secrets CONSOLE_SESSION_KEY,
CONSOLE_TRAINER_PASSWORD, CONSOLE_OPERATOR_PASSWORD (var/secrets.env; `make console` / `make run` export them).

    python -m moments.console init          create the accounts file on the first run, printing the first passwords
                                            once on this terminal (scripts/run.sh does it before starting the console)
    python -m moments.console add-user NAME trainer|operator    another account (asks for its password)
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys

import uvicorn


def main(argv: list[str] | None = None) -> None:
    from moments import secrets
    from moments.console.accounts import ROLES, Users, ensure_users, users_file
    from moments.console.app import ConsoleSettings, create_app
    from moments.privacy import logs as privacy_logs

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["add-user"]:
        if len(argv) != 3 or argv[2] not in ROLES:
            raise SystemExit("usage: python -m moments.console add-user NAME trainer|operator")
        password = getpass.getpass(f"password for {argv[1]} (12 characters or more): ")
        Users(users_file()).add(argv[1], argv[2], password)
        print(f"{argv[1]} ({argv[2]}) can log in to the console now")
        return
    if argv[:1] == ["init"]:
        ensure_users()
        return
    privacy_logs.install()
    values = secrets.require("console", ["CONSOLE_SESSION_KEY", "CONSOLE_TRAINER_PASSWORD",
                                         "CONSOLE_OPERATOR_PASSWORD"])
    settings = ConsoleSettings.from_env()
    parser = argparse.ArgumentParser(prog="python -m moments.console", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=settings.host, help="default CONSOLE_HOST or 127.0.0.1")
    parser.add_argument("--port", type=int, default=settings.port, help="default CONSOLE_PORT or 8090")
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1") and not os.environ.get("CONSOLE_SECURE_COOKIES"):
        secrets.warn(f"console listening on {args.host} without CONSOLE_SECURE_COOKIES=1: put it behind HTTPS")
    # started by a supervisor, this prints into a log file: the passwords are not said there
    users = ensure_users(show_passwords=False)
    print(f"console          http://{args.host}:{args.port}/", flush=True)
    uvicorn.run(create_app(settings, users, values["CONSOLE_SESSION_KEY"]), host=args.host, port=args.port,
                access_log=False, server_header=False, log_level="info",
                timeout_keep_alive=30)  # a page can take seconds to compute: keep the browser's connection


if __name__ == "__main__":
    main()
