"""Errors as RFC 9457 problem details (`application/problem+json`) with a stable machine-readable `code`.

The bot maps `code` to a message in the user's language, so codes never change meaning; new ones may be added.
`CATALOGUE` (moments.agency_client.codes, imported by the bot too) is the one list of them, served at GET
/problems and listed in docs/agencies.md.
"""
from __future__ import annotations

import logging
from typing import Any, Optional

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, PydanticValueError
from starlette.exceptions import HTTPException as StarletteHTTPException

from moments.agency_client.codes import CATALOGUE, Code  # noqa: F401  (the one catalogue, shared with the bot)

log = logging.getLogger("moments.agencies")

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """Raise to answer with a problem; `extra` members are added to the body (e.g. `deadline`)."""

    def __init__(self, code: str, detail: str, *, status: int | None = None, headers: dict | None = None, **extra):
        super().__init__(detail)
        if code not in CATALOGUE:
            raise ValueError(f"unknown problem code {code!r}: add it to errors.CATALOGUE")
        self.code = code
        self.status = status or CATALOGUE[code][0]
        self.title = CATALOGUE[code][1]
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    def body(self, instance: str = "", request_id: str = "") -> dict[str, Any]:
        return {
            "type": f"/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
            "code": self.code,
            "request_id": request_id,
            **self.extra,
        }


class FieldError(BaseModel):
    field: str
    message: str
    code: str


class ProblemModel(BaseModel):
    """RFC 9457 problem details; `code` is stable and machine-readable. Rules may add members (e.g. `deadline`)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
    request_id: str
    errors: Optional[list[FieldError]] = None

    class Config:
        title = "Problem"
        extra = "allow"


_DOMAIN_ERRORS: dict[str, type] = {}


def domain_error(code: str, message: str) -> PydanticValueError:
    """A validator error that carries a problem code (pydantic reports it as type 'value_error.<code>').

    Raise it from a pydantic validator: `raise domain_error("nric_invalid", "...")`."""
    if code not in CATALOGUE:
        raise ValueError(f"unknown problem code {code!r}")
    cls = _DOMAIN_ERRORS.get(code)
    if cls is None:
        cls = type(f"DomainError_{code}", (PydanticValueError,), {"code": code, "msg_template": "{message}"})
        _DOMAIN_ERRORS[code] = cls
    return cls(message=message)


def problem_response(problem: Problem, request: Request) -> JSONResponse:
    body = problem.body(request.url.path, getattr(request.state, "request_id", ""))
    return JSONResponse(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=problem.headers)


def problems(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI `responses` for a route: each status documented as a Problem."""
    return {s: {"model": ProblemModel, "description": _DESCRIPTIONS.get(s, "Problem")} for s in statuses}


_DESCRIPTIONS = {
    401: "Missing or invalid credentials (api_key_missing, api_key_invalid, token_missing, token_invalid, token_expired)",
    403: "Not allowed (consent_missing, not_authorised, not_a_parent)",
    404: "Not found, or not yours",
    409: "Conflict with the current state",
    410: "Gone",
    422: "Invalid request or a broken rule",
    429: "Too many attempts (login_rate_limited); wait as long as Retry-After says",
}


def _field_errors(exc: RequestValidationError) -> list[dict]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "__root__")]
        etype = err.get("type", "")
        code = etype.split(".", 1)[1] if etype.startswith("value_error.") and etype.split(".", 1)[1] in CATALOGUE else "validation_failed"
        out.append({"field": ".".join(loc) or "body", "message": err.get("msg", "invalid"), "code": code})
    return out


async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = _field_errors(exc)
    code = next((e["code"] for e in errors if e["code"] != "validation_failed"), "validation_failed")
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)[:500]
    return problem_response(Problem(code, detail, status=422, errors=errors), request)


async def on_problem(request: Request, exc: Problem) -> JSONResponse:
    return problem_response(exc, request)


async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "validation_failed")
    status = exc.status_code if code != "validation_failed" else 400
    return problem_response(Problem(code, str(exc.detail), status=status, headers=getattr(exc, "headers", None)), request)
