"""The web page's server: static page + widget, its configuration, and the mock Singpass login.

Routes:
  GET  /                     the page (Content-Security-Policy: scripts and styles from this server only)
  GET  /static/...           the page's CSS and JavaScript; /vendor/socket.io.min.js from npm (make web-assets)
  GET  /api/config           where the browser finds Rasa's socket.io, the message size limit
  GET  /api/people           demo people to log in as: {id, name, nric (masked)}
  POST /api/login {"person"}  mock Singpass login through the agency service -> {token, expires_in, person}
  GET  /healthz
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from moments.agency_client.client import AgencyError, SingpassClient
from moments.web.channel import DEFAULT_MAX_MESSAGE_CHARS
from moments.web.people import DemoPerson, demo_people

log = logging.getLogger("moments.web")

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
SOCKET_IO_JS = HERE / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    agencies_url: str = "http://127.0.0.1:8000"
    rasa_url: Optional[str] = None  # as the browser reaches it; default: this page's host name, port rasa_port
    rasa_port: int = 5005
    socketio_path: str = "/socket.io"
    max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS

    @classmethod
    def from_env(cls, env=None) -> "WebSettings":
        env = os.environ if env is None else env
        return cls(
            host=env.get("WEB_HOST", "127.0.0.1"),
            port=int(env.get("WEB_PORT", "8080")),
            agencies_url=(env.get("AGENCIES_URL") or "http://127.0.0.1:8000").rstrip("/"),
            rasa_url=(env.get("WEB_RASA_URL") or "").rstrip("/") or None,
            rasa_port=int(env.get("RASA_PORT", "5005")),
        )


class LoginRequest(BaseModel):
    person: str = Field(..., min_length=1, max_length=64, description="an id from GET /api/people")


def _error(status: int, code: str) -> JSONResponse:
    return JSONResponse({"error": code}, status_code=status)


def create_app(settings: WebSettings, singpass: Optional[SingpassClient] = None) -> FastAPI:
    app = FastAPI(title="Moments Assistant web page", docs_url=None, redoc_url=None, openapi_url=None)
    people: Dict[str, DemoPerson] = {p.id: p for p in demo_people()}
    singpass = singpass or SingpassClient(base_url=settings.agencies_url)
    if not SOCKET_IO_JS.exists():
        log.warning("%s is missing: run `make web-assets` (npm ci in moments/web)", SOCKET_IO_JS)

    def rasa_url(request: Request) -> str:
        return settings.rasa_url or f"{request.url.scheme}://{request.url.hostname}:{settings.rasa_port}"

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        resp: Response = await call_next(request)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        return resp

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def index(request: Request) -> FileResponse:
        rasa = urlsplit(rasa_url(request))
        ws = ("wss" if rasa.scheme == "https" else "ws") + f"://{rasa.netloc}"
        csp = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self' {rasa.scheme}://{rasa.netloc} {ws}; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
        )
        return FileResponse(STATIC / "index.html", headers={"Content-Security-Policy": csp, "Cache-Control": "no-cache"})

    @app.get("/vendor/socket.io.min.js", include_in_schema=False)
    def socket_io_js() -> Response:
        if not SOCKET_IO_JS.exists():
            return Response("socket.io-client is not installed: run `make web-assets`", status_code=503,
                            media_type="text/plain")
        return FileResponse(SOCKET_IO_JS, media_type="text/javascript")

    @app.get("/api/config")
    def config(request: Request) -> Dict[str, Any]:
        return {
            "rasa_url": rasa_url(request),
            "socketio_path": settings.socketio_path,
            "max_message_chars": settings.max_message_chars,
        }

    @app.get("/api/people")
    def list_people() -> Dict[str, Any]:
        return {"people": [p.public() for p in people.values()]}

    @app.post("/api/login")
    def login(body: LoginRequest):
        person = people.get(body.person)
        if person is None:
            return _error(404, "person_not_found")
        try:
            answer = singpass.login(nric=person.nric)
        except AgencyError as e:
            log.warning("mock Singpass login failed: %s", e.code)
            if e.unavailable:
                return _error(503, "agency_unavailable")
            return _error(404 if e.status == 404 else 502, e.code)
        return {
            "token": answer["access_token"],
            "expires_in": answer["expires_in"],
            "person": {"id": answer["person"]["id"], "name": answer["person"]["name"]},
        }

    @app.get("/healthz")
    def healthz() -> Dict[str, str]:
        return {"status": "ok"}

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
