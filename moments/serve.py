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
        out.append(f"--auth-token={env['RASA_AUTH_TOKEN']}")  # one argument: a token may start with "-"
    if not _has(args, "--interface") and not _has(args, "-i"):
        out += ["--interface", env.get("RASA_INTERFACE") or "127.0.0.1"]
    if not _has(args, "--cors"):
        origins = [o.strip() for o in (env.get("WEB_ORIGINS") or DEFAULT_WEB_ORIGINS).split(",") if o.strip()]
        out += ["--cors", *origins]
    return out


# -- Rasa's Sanic app: rate limit, body sizes, /model/parse input --------------------------------------------------
# Installed by wrapping rasa.core.run.configure_app, the one function that builds the app for `rasa run` (with or
# without --enable-api) and hands it to app.run: the wrapper gets the finished app before the server starts, without
# copying any of Rasa's start-up code.

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024  # anything (PUT /model, /model/train with training data)
DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024  # one message: /model/parse, channel webhooks, /conversations/<id>/messages
# Paths that carry one user message and must stay small.
MESSAGE_PATHS = ("/model/parse", "/webhooks/")
MESSAGE_SUFFIXES = ("/messages", "/trigger_intent", "/predict")
# The channels limit their own users and answer them politely in their language (moments/channels/rest.py, sms, web).
CHANNEL_PATHS = ("/webhooks/", "/socket.io")


def _bytes(env, name: str, default: int) -> int:
    value = (env.get(name) or "").strip()
    try:
        return int(value) if value else default
    except ValueError:
        raise SystemExit(f"{name}: a number of bytes, got {value!r}") from None


def _rasa_error(status: int, reason: str, message: str, headers: Optional[dict] = None, **details):
    """An answer in Rasa's own error shape (rasa.server.ErrorResponse)."""
    import rasa
    from sanic import response

    return response.json({"version": rasa.__version__, "status": "failure", "message": message, "reason": reason,
                          "details": details, "help": None, "code": status}, status=status, headers=headers)


def has_lone_surrogates(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def parse_body_problem(body) -> Optional[str]:
    """Why a /model/parse body is unusable (None when it is fine). Never quotes the text."""
    if not isinstance(body, dict):
        return 'the body must be a JSON object like {"text": "…"}'
    text = body.get("text")
    if text is None:
        return '"text" is missing or null'
    if not isinstance(text, str):
        return f'"text" must be a string, not {type(text).__name__}'
    if has_lone_surrogates(text):
        return '"text" is not valid Unicode (it contains lone surrogates)'
    return None


def _validate_parse_requests() -> None:
    """/model/parse answers 400 (not Rasa's 500) to a body that is not JSON, not an object, or whose text is null,
    not a string or not valid Unicode. Checked in rasa.server.validate_request_body, which the route calls after
    its authentication, so a caller without the token still gets 401 first."""
    import rasa.server as rasa_server

    original = rasa_server.validate_request_body
    if getattr(original, "_moments", False):
        return

    def validate_request_body(request, error_message):  # noqa: ANN001 (Sanic's request)
        original(request, error_message)
        if request.path != "/model/parse" or request.args.get("emulation_mode"):
            return
        try:
            body = request.json
        except Exception:  # noqa: BLE001 - sanic raises on a body that is not JSON
            raise rasa_server.ErrorResponse(400, "BadRequest", "the body is not JSON") from None
        why = parse_body_problem(body)
        if why:
            raise rasa_server.ErrorResponse(400, "BadRequest", why)

    validate_request_body._moments = True  # type: ignore[attr-defined]
    rasa_server.validate_request_body = validate_request_body


def install_guards(app, env=os.environ) -> None:
    """On Rasa's Sanic app: a per-address rate limit on the HTTP API (RATE_LIMIT_API_REQUESTS, 429 with Retry-After;
    the channel webhooks limit their users themselves), 413 for a message body over RASA_MAX_MESSAGE_BYTES or any body
    over RASA_MAX_BODY_BYTES (read no further than that), and 400 for bad /model/parse input."""
    import logging

    from sanic.exceptions import PayloadTooLarge

    from moments import ratelimit

    log = logging.getLogger("moments.serve")
    api = ratelimit.limiter("api", env)
    proxies = ratelimit.trusted_proxies(env)
    max_body = _bytes(env, "RASA_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)
    max_message = _bytes(env, "RASA_MAX_MESSAGE_BYTES", DEFAULT_MAX_MESSAGE_BYTES)
    app.config.REQUEST_MAX_SIZE = max_body
    _validate_parse_requests()

    def is_message_path(path: str) -> bool:
        return path.startswith(MESSAGE_PATHS) or (path.startswith("/conversations/") and path.endswith(MESSAGE_SUFFIXES))

    @app.signal("http.routing.after")
    async def small_message_bodies(request, **_):  # noqa: ANN001 - before the body is read
        if request.stream is None or not is_message_path(request.path):
            return
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > max_message:
            raise PayloadTooLarge(f"a message body is at most {max_message} bytes")
        request.stream.request_max_size = min(request.stream.request_max_size, max_message)  # chunked bodies

    @app.exception(PayloadTooLarge)
    async def too_large(request, exc):  # noqa: ANN001
        return _rasa_error(413, "PayloadTooLarge", str(exc) or "the body is too large")

    @app.middleware("request")
    async def api_rate_limit(request):  # noqa: ANN001
        if request.path.startswith(CHANNEL_PATHS):
            return None
        address = ratelimit.client_address(request.ip, request.headers.get("x-forwarded-for"), proxies)
        decision = await api.acheck(f"api:{address}")
        if decision.allowed:
            return None
        if decision.first_refusal:
            log.warning("rate limit: %s is over RATE_LIMIT_API_REQUESTS (%s)", address, api.rate)
        return _rasa_error(429, "TooManyRequests", "Too many requests; slow down.",
                           headers={"Retry-After": decision.retry_after_header},
                           retry_after=int(decision.retry_after_header))

    log.info(ratelimit.describe(env))


def _install_guards_on_rasas_app() -> None:
    import rasa.core.run as run

    original = run.configure_app
    if getattr(original, "_moments", False):
        return

    def configure_app(*args, **kwargs):  # noqa: ANN002, ANN003 - rasa's own signature
        app = original(*args, **kwargs)
        install_guards(app)
        return app

    configure_app._moments = True  # type: ignore[attr-defined]
    run.configure_app = configure_app


def serve_rasa(args: List[str]) -> None:
    secrets.require("Rasa server", ["RASA_AUTH_TOKEN", "ACTION_SERVER_SECRET"])
    argv = rasa_arguments(args)
    from moments.privacy import logs as privacy_logs

    privacy_logs.install()  # Rasa's own log lines and tracebacks masked like ours
    if "*" in argv[argv.index("--cors") + 1:]:
        secrets.warn("Rasa server: --cors '*' lets any web page call the API from a browser.")
    _install_guards_on_rasas_app()
    from moments import rasa_speedups

    rasa_speedups.install()  # no JSON-schema pass over every action reply, no responses in every action call
    from moments import resilience

    resilience.install()  # action server down or slow: a reply in the user's language within seconds, no raw slot
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
