"""The agencies' HTTP app: `create_app()` wires settings, database, routers, errors and middleware."""
from __future__ import annotations

import logging
from typing import Dict, List

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import admin, baby_bonus, births, health, myinfo, seed
from .config import Settings
from .db import make_engine, make_session_factory
from .errors import CATALOGUE, PROBLEM_JSON, FieldError, Problem, ProblemModel, on_http_error, on_problem, on_validation_error, problems
from .faults import FaultInjector
from .middleware import ServiceMiddleware
from .security import SCOPES

log = logging.getLogger("moments.agencies")

VERSION = "1.0.0"
DESCRIPTION = """
Mock Singapore government services for Moments Assistant: **Singpass** login, **MyInfo** profile,
**ICA** birth registration, **MSF** Baby Bonus and **polyclinic** immunisation appointments.

**Authentication.** Citizen routes need two headers: `X-API-Key` (the calling system, e.g. the action server)
and `Authorization: Bearer <token>` (the citizen, from `POST /singpass/v1/login`). A caller only ever sees and
changes their own records and their own children's. Public reference data (clinics, slots, the immunisation
schedule, the Baby Bonus calculator) needs only `X-API-Key`.

**Errors** are `application/problem+json` with a stable `code` (catalogue at `GET /problems`).
**Retries:** every POST accepts an `Idempotency-Key` header. **Times** are Singapore time (+08:00).
"""


class ProblemType(BaseModel):
    code: str
    status: int
    title: str


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    app = FastAPI(
        title="Moments agency services (mock)", version=VERSION, description=DESCRIPTION,
        openapi_tags=[
            {"name": "Singpass (mock)", "description": "Log in as a seeded person"},
            {"name": "MyInfo", "description": "The person's profile"},
            {"name": "ICA births", "description": "Birth registration"},
            {"name": "MSF Baby Bonus", "description": "Cash gift and Child Development Account"},
            {"name": "Health: immunisation and polyclinics", "description": "Schedule, clinics, slots, appointments"},
            {"name": "Admin", "description": "Fault injection and the hospital feed (X-Admin-Key)"},
            {"name": "Service", "description": "Liveness, readiness, problem catalogue"},
        ],
    )
    engine = make_engine(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_session_factory(engine)
    app.state.faults = FaultInjector(settings.faults)

    for router in (myinfo.singpass, myinfo.myinfo, births.router, baby_bonus.router, health.router, admin.router):
        app.include_router(router)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "X-API-Key", "Idempotency-Key", "Content-Type"],
                           expose_headers=["X-Request-ID", "Idempotent-Replayed"])
    app.add_middleware(ServiceMiddleware, faults=app.state.faults)

    @app.on_event("startup")
    def _start() -> None:
        seed.migrate(engine)
        if settings.seed and seed.seed(app.state.sessions):
            log.info("database seeded")
        added = seed.ensure_slots(app.state.sessions)
        if added:
            log.info("added %d appointment slots", added)
        if settings.uses_dev_secrets:
            log.warning("using empty or development keys / token secret (MOMENTS_DEV): never expose this service")
        active = {a: vars(f) for a, f in settings.faults.items() if f.active}
        if active:
            log.warning("fault injection from environment: %s", active)
        log.info("agency services ready on %s", engine.url.render_as_string(hide_password=True))

    @app.on_event("shutdown")
    def _stop() -> None:
        engine.dispose()

    @app.get("/healthz", tags=["Service"], summary="Liveness")
    def healthz() -> Dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["Service"], summary="Readiness: the database answers",
             responses=problems(503))
    def readyz(request: Request) -> Dict[str, str]:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ready", "database": engine.dialect.name}

    @app.get("/problems", tags=["Service"], response_model=List[ProblemType], summary="Every problem code")
    def problem_catalogue() -> List[ProblemType]:
        return [ProblemType(code=c, status=s, title=t) for c, (s, t) in CATALOGUE.items()]

    @app.get("/problems/{code}", tags=["Service"], response_model=ProblemType, responses=problems(404),
             summary="One problem code")
    def problem_type(code: str) -> ProblemType:
        if code not in CATALOGUE:
            raise Problem("not_found", "No such problem code.")
        status, title = CATALOGUE[code]
        return ProblemType(code=code, status=status, title=title)

    def openapi() -> dict:
        """Problems documented as application/problem+json; consent scopes listed on the token scheme."""
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes,
                             tags=app.openapi_tags)
        for path in schema.get("paths", {}).values():
            for op in path.values():
                for status, response in op.get("responses", {}).items():
                    content = response.get("content", {})
                    if status[:1] in "45" and "application/json" in content:
                        response["content"] = {PROBLEM_JSON: content.pop("application/json")}
                        ref = response["content"][PROBLEM_JSON].get("schema", {}).get("$ref", "")
                        if ref.endswith("/HTTPValidationError"):  # FastAPI's default 422: ours is a Problem
                            response["content"][PROBLEM_JSON]["schema"] = {"$ref": "#/components/schemas/Problem"}
                            response["description"] = "Invalid request or a broken rule"
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("Problem", ProblemModel.schema(ref_template="#/components/schemas/{model}"))
        components.setdefault("FieldError", FieldError.schema())
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        bearer = schema.get("components", {}).get("securitySchemes", {}).get("SingpassToken")
        if bearer:
            bearer["description"] += " Scopes: " + "; ".join(f"`{k}`: {v}" for k, v in SCOPES.items())
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
    return app
