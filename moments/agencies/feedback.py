"""Feedback (/feedback/v1): a rating (1-5) and free text in any language about a preschool centre or a service,
with an `FB-…` reference.

The text is kept as the parent wrote it (any script, no translation), except that personal data is masked before it
is stored (`moments.privacy.mask_personal`: NRICs, phone and account numbers, tokens); `masked` says whether
anything was. Neither the text nor a name is ever logged.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import List, Literal, Optional

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, root_validator, validator
from sqlalchemy import select

from moments.privacy import mask_personal

from . import clock, idempotency
from .common import as_caller, caller, json_response, new_reference, sessions
from .errors import Problem, domain_error, problems
from .models import Feedback, PreschoolCentre
from .security import Citizen, citizen

log = logging.getLogger("moments.agencies.feedback")

router = APIRouter(prefix="/feedback/v1", tags=["Feedback"])

ServiceName = Literal["moments", "birth_registration", "baby_bonus", "appointments", "vaccinations", "preschools",
                      "immunisation_record", "other"]
MAX_TEXT = 2000


class FeedbackRequest(BaseModel):
    about: Literal["centre", "service"]
    centre_id: Optional[str] = Field(None, max_length=48, description="When about a centre")
    service: Optional[ServiceName] = Field(None, description="When about a service")
    rating: int = Field(..., ge=1, le=5, description="1 (poor) to 5 (excellent)")
    text: Optional[str] = Field(None, max_length=MAX_TEXT, description="Any language; personal data is masked")
    language: Optional[Literal["en", "zh", "ms", "ta"]] = Field(None, description="The conversation's language")

    @validator("text")
    def _blank_is_none(cls, value):
        return value if value is None or value.strip() else None

    @root_validator(skip_on_failure=True)
    def _one_target(cls, values):
        about, centre_id, service = values.get("about"), values.get("centre_id"), values.get("service")
        if about == "centre" and (not centre_id or service):
            raise domain_error("validation_failed", "Feedback about a centre names centre_id (and no service).")
        if about == "service" and (not service or centre_id):
            raise domain_error("validation_failed", "Feedback about a service names service (and no centre_id).")
        return values


class CentreName(BaseModel):
    id: str
    name: str


class FeedbackOut(BaseModel):
    reference: str = Field(..., example="FB-3K9M2Q7X")
    about: str
    centre: Optional[CentreName]
    service: Optional[str]
    rating: int
    text: Optional[str] = Field(None, description="As written, with personal data masked")
    masked: bool = Field(..., description="True when personal data was masked in the text")
    language: Optional[str]
    created_at: datetime


def feedback_out(s, f: Feedback) -> FeedbackOut:
    c = s.get(PreschoolCentre, f.centre_id) if f.centre_id else None
    return FeedbackOut(reference=f.reference, about="centre" if f.centre_id else "service",
                       centre=CentreName(id=c.id, name=c.name) if c else None, service=f.service, rating=f.rating,
                       text=f.text, masked=f.masked, language=f.language, created_at=clock.aware(f.created_at))


@router.post("/feedback", status_code=201, response_model=FeedbackOut, responses=problems(401, 403, 404, 422),
             summary="Give feedback on a preschool centre or a service")
def give_feedback(body: FeedbackRequest, request: Request, who: Citizen = Depends(citizen("feedback"))):
    """Accepts `Idempotency-Key` (a retried "5 stars" is counted once)."""

    def work(s):
        me = caller(s, who.person_id)
        if body.centre_id is not None and s.get(PreschoolCentre, body.centre_id) is None:
            raise Problem("centre_not_found", "There is no preschool centre with that id; see GET /ecda/v1/centres.")
        text = mask_personal(body.text) if body.text else None
        f = Feedback(reference=new_reference("FB"), person_id=me.id, centre_id=body.centre_id, service=body.service,
                     rating=body.rating, text=text, language=body.language, masked=bool(text and text != body.text),
                     created_at=clock.now())
        s.add(f)
        s.flush()
        log.info("feedback %s: %s %s rated %d%s", f.reference, body.about, body.centre_id or body.service,
                 body.rating, " (personal data masked)" if f.masked else "")
        return 201, feedback_out(s, f)

    return idempotency.run(request, sessions(request), who.idempotency_scope, body, work)


@router.get("/feedback", response_model=List[FeedbackOut], responses=problems(401, 403),
            summary="The feedback you gave")
def my_feedback(request: Request, centre_id: Optional[str] = Query(None, max_length=48),
                who: Citizen = Depends(citizen("feedback"))) -> Response:
    with as_caller(request, who) as (s, me):
        q = select(Feedback).where(Feedback.person_id == me.id)
        if centre_id:
            q = q.where(Feedback.centre_id == centre_id)
        return json_response([feedback_out(s, f) for f in s.execute(q.order_by(Feedback.id)).scalars()])


@router.get("/feedback/{reference}", response_model=FeedbackOut, responses=problems(401, 403, 404),
            summary="One piece of feedback you gave")
def get_feedback(request: Request, reference: str = Path(..., max_length=16),
                 who: Citizen = Depends(citizen("feedback"))) -> Response:
    with as_caller(request, who) as (s, me):
        f = s.execute(select(Feedback).where(Feedback.reference == reference.upper(),
                                             Feedback.person_id == me.id)).scalar_one_or_none()
        if f is None:
            raise Problem("feedback_not_found", "You gave no feedback with that reference.")
        return json_response(feedback_out(s, f))
