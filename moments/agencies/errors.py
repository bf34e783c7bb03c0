"""Errors as RFC 9457 problem details (`application/problem+json`) with a stable machine-readable `code`.

The bot maps `code` to a message in the user's language, so codes never change meaning; new ones may be added.
`CATALOGUE` is the one list of them (served at GET /problems and listed in docs/agencies.md).
"""
from __future__ import annotations

import logging
from typing import Any, Optional

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, PydanticValueError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("moments.agencies")

PROBLEM_JSON = "application/problem+json"

CATALOGUE: dict[str, tuple[int, str]] = {
    # request shape
    "validation_failed": (422, "The request is not valid"),
    "nric_invalid": (422, "The NRIC/FIN is not valid"),
    "mobile_invalid": (422, "The mobile number is not a Singapore mobile number"),
    "name_invalid": (422, "The child's name does not follow the naming rules"),
    "ethnic_name_invalid": (422, "The name in ethnic script is not valid"),
    "dialect_invalid": (422, "The dialect is not valid"),
    "scope_invalid": (422, "Unknown consent scope"),
    "bank_account_invalid": (422, "The bank account number is not valid for that bank"),
    "postal_code_invalid": (422, "The postal code is not a Singapore postal code"),
    "date_range_invalid": (422, "The date range is not valid"),
    "idempotency_key_invalid": (422, "The Idempotency-Key header is not valid"),
    "idempotency_key_reused": (422, "The Idempotency-Key was already used for a different request"),
    # authentication and authorisation
    "api_key_missing": (401, "The X-API-Key header is required"),
    "api_key_invalid": (401, "The API key is not valid"),
    "admin_key_invalid": (401, "The admin key is missing or not valid"),
    "login_rate_limited": (429, "Too many login attempts; wait before trying again"),
    "token_missing": (401, "A Singpass token is required"),
    "token_invalid": (401, "The Singpass token is not valid"),
    "token_expired": (401, "The Singpass token has expired"),
    "consent_missing": (403, "The citizen has not consented to this use of their data"),
    "not_authorised": (403, "This record belongs to someone else"),
    "not_a_parent": (403, "Only a parent of the child can do this"),
    # lookups
    "not_found": (404, "No such resource"),
    "method_not_allowed": (405, "Method not allowed"),
    "person_not_found": (404, "No person with that NRIC/FIN or mobile number"),
    "notification_not_found": (404, "No notification of live birth with that number"),
    "registration_not_found": (404, "No birth registration with that reference"),
    "certificate_not_found": (404, "No certificate at this link"),
    "certificate_expired": (410, "The certificate link has expired"),
    "child_not_found": (404, "No child of yours with that id"),
    "application_not_found": (404, "No Baby Bonus application with that reference"),
    "clinic_not_found": (404, "No clinic with that id"),
    "slot_not_found": (404, "No appointment slot with that id"),
    "appointment_not_found": (404, "No appointment with that reference"),
    # business rules
    "registration_late": (422, "The 42-day period to register the birth online is over"),
    "notification_mismatch": (422, "The details do not match the hospital's notification of live birth"),
    "marital_status_mismatch": (422, "The marital status does not match ICA's records"),
    "father_required": (422, "The father's NRIC/FIN is required when the parents are married"),
    "already_registered": (409, "This birth is already registered"),
    "not_eligible": (422, "The child is not eligible for the Baby Bonus"),
    "application_exists": (409, "A Baby Bonus application for this child already exists"),
    "cda_trustee_invalid": (422, "The CDA trustee must be a parent of the child"),
    "slot_taken": (409, "That slot has just been taken"),
    "slot_in_past": (422, "That slot has already started"),
    "slot_unchanged": (422, "The new slot is the appointment's current slot"),
    "service_mismatch": (422, "The slot is for a different service"),
    "appointment_exists": (409, "The child already has a booked appointment for this service"),
    "appointment_cancelled": (409, "The appointment is cancelled"),
    "appointment_past": (409, "The appointment has already taken place"),
    "appointment_changed": (409, "The appointment was changed by another request; fetch it and try again"),
    "idempotency_in_progress": (409, "A request with this Idempotency-Key is still being processed"),
    # the service itself
    "agency_unavailable": (503, "The agency is unavailable"),
    "agency_error": (500, "The agency failed to answer"),
    "storage_busy": (503, "The agency is busy; retry shortly"),
    "internal_error": (500, "Unexpected error"),
}


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
