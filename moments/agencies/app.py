"""The agencies' HTTP app: `create_app()` wires settings, database, routers, errors and middleware."""
from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import admin, baby_bonus, births, due, feedback, health, myinfo, preschool_seed, preschools, seed, service
from .config import Settings
from .db import make_engine, make_session_factory
from .errors import PROBLEM_JSON, FieldError, Problem, ProblemModel, on_http_error, on_problem, on_validation_error
from .faults import FaultInjector
from .middleware import ServiceMiddleware
from .security import SCOPES

log = logging.getLogger("moments.agencies")

VERSION = "1.0.0"
DESCRIPTION = """
Mock Singapore government services for Moments Assistant: **Singpass** login, **MyInfo** profile,
**ICA** birth registration, **MSF** Baby Bonus, **polyclinic** immunisation appointments, **ECDA** preschools
and feedback.

**Authentication.** Citizen routes need two headers: `X-API-Key` (the calling system, e.g. the action server)
and `Authorization: Bearer <token>` (the citizen, from `POST /singpass/v1/login`). A caller only ever sees and
changes their own records and their own children's. Public reference data (clinics, slots, the immunisation
schedule, the Baby Bonus calculator, preschool search) needs only `X-API-Key`.

**Errors** are `application/problem+json` with a stable `code` (catalogue at `GET /problems`).
**Retries:** every POST accepts an `Idempotency-Key` header. **Times** are Singapore time (+08:00).
"""


TAGS = [
    {"name": "Singpass (mock)", "description": "Log in as a seeded person"},
    {"name": "MyInfo", "description": "The person's profile"},
    {"name": "ICA births", "description": "Birth registration"},
    {"name": "MSF Baby Bonus", "description": "Cash gift and Child Development Account"},
    {"name": "Health: immunisation and polyclinics", "description": "Schedule, clinics, slots, appointments"},
    {"name": "ECDA preschools", "description": "Centres near home, fees after subsidy, registrations of interest"},
    {"name": "Feedback", "description": "Feedback on a preschool or a service"},
    {"name": "Notifier", "description": "What is coming up for parents (X-API-Key + X-Notifier-Key)"},
    {"name": "Admin", "description": "Fault injection and the hospital feed (X-Admin-Key)"},
    {"name": "Service", "description": "Liveness, readiness, problem catalogue"},
]
ROUTERS = (myinfo.singpass, myinfo.myinfo, births.router, births.short_links, baby_bonus.router, health.router,
           preschools.router, feedback.router, due.router, admin.router, service.router)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for `settings` (default: from the environment): state, routers, problem handlers, middleware."""
    settings = settings or Settings.from_env()
    app = FastAPI(title="Moments agency services (mock)", version=VERSION, description=DESCRIPTION,
                  openapi_tags=TAGS)
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    app.state.sessions = make_session_factory(app.state.engine)
    app.state.faults = FaultInjector(settings.faults)
    for router in ROUTERS:
        app.include_router(router)
    add_problem_handlers(app)
    add_middleware(app, settings)
    app.add_event_handler("startup", lambda: start(app))
    app.add_event_handler("shutdown", app.state.engine.dispose)
    app.openapi = lambda: problem_openapi(app)  # type: ignore[method-assign]
    return app


def add_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)


def add_middleware(app: FastAPI, settings: Settings) -> None:
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "X-API-Key", "Idempotency-Key", "Content-Type"],
                           expose_headers=["X-Request-ID", "Idempotent-Replayed"])
    app.add_middleware(ServiceMiddleware, faults=app.state.faults)


def start(app: FastAPI) -> None:
    """At startup: the schema, the seeded people (when configured) and appointment slots for the coming weeks."""
    settings, engine = app.state.settings, app.state.engine
    seed.migrate(engine)
    if settings.seed and seed.seed(app.state.sessions):
        log.info("database seeded")
    if settings.seed and preschool_seed.ensure(app.state.sessions):
        log.info("seeded preschools and home addresses")
    added = seed.ensure_slots(app.state.sessions)
    if added:
        log.info("added %d appointment slots", added)
    if settings.uses_dev_secrets:
        log.warning("using empty or development keys / token secret (MOMENTS_DEV): never expose this service")
    active = {a: vars(f) for a, f in settings.faults.items() if f.active}
    if active:
        log.warning("fault injection from environment: %s", active)
    log.info("agency services ready on %s", engine.url.render_as_string(hide_password=True))


def problem_openapi(app: FastAPI) -> dict:
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
