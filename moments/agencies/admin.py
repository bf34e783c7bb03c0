"""Operator endpoints (/admin/v1, `X-Admin-Key`): fault injection and the hospitals' notification feed."""
from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Dict, Literal, Optional

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from . import clock, idempotency
from .births import NotificationOut, notification_out
from .preschools import InterestOut, interest_out
from .common import sessions
from .config import AGENCIES, FaultSpec
from .errors import Problem, problems
from .models import Hospital, LiveBirthNotification, Person
from .schemas import NRIC
from .security import require_admin
from .services import interests

log = logging.getLogger("moments.agencies.admin")

router = APIRouter(prefix="/admin/v1", tags=["Admin"], dependencies=[Depends(require_admin)])

Agency = Literal["singpass", "myinfo", "ica", "msf", "health", "ecda", "feedback"]


class FaultIn(BaseModel):
    latency_ms: int = Field(0, ge=0, le=60_000, description="Added before answering")
    error_rate: float = Field(0.0, ge=0.0, le=1.0, description="Share of requests answered with error_status")
    error_status: int = Field(503, ge=500, le=599)
    outage: bool = Field(False, description="Every request answered 503 agency_unavailable")
    lost_replies: int = Field(0, ge=0, le=10_000, description="The next N writes (POST) are done and committed, then "
                              "their answer is lost in transit (counts down)")
    lost_reply_delay_ms: int = Field(0, ge=0, le=60_000, description="0: the connection is closed with the answer "
                                     "unsent; more: the answer is held back this long")
    lost_replies_include_reads: bool = Field(False, description="Lose the answers to reads (GET) too")


class FaultOut(FaultIn):
    active: bool


def _faults(request: Request) -> Dict[str, FaultOut]:
    injector = request.app.state.faults
    return {a: FaultOut(**vars(injector.get(a)), active=injector.get(a).active) for a in AGENCIES}


@router.get("/faults", response_model=Dict[str, FaultOut], responses=problems(401), summary="Injected faults per agency")
def get_faults(request: Request):
    return _faults(request)


@router.put("/faults/{agency}", response_model=Dict[str, FaultOut], responses=problems(401, 422),
            summary="Set one agency's injected faults (all fields; zero/false turns them off)")
def set_fault(body: FaultIn, request: Request, agency: Agency = Path(...)):
    request.app.state.faults.set(agency, FaultSpec(**body.dict()))
    log.warning("fault injection for %s set to %s", agency, body.dict())
    return _faults(request)


@router.delete("/faults", response_model=Dict[str, FaultOut], responses=problems(401),
               summary="Turn every injected fault off (including those set by environment)")
def clear_faults(request: Request):
    request.app.state.faults.clear()
    log.warning("fault injection cleared")
    return _faults(request)


class NotificationIn(BaseModel):
    mother_nric: NRIC
    father_nric: Optional[NRIC] = None
    hospital_code: str = Field(..., max_length=8, example="KKH")
    born_at: datetime = Field(..., description="Singapore time, e.g. 2026-11-02T08:42:00")
    sex: Literal["F", "M"]
    birth_weight_g: Optional[int] = Field(None, ge=300, le=7000)


@router.post("/live-birth-notifications", status_code=201, response_model=NotificationOut,
             responses=problems(401, 404, 422), summary="Hospital feed: add a notification of live birth")
def add_notification(body: NotificationIn, request: Request):
    """What a hospital's system sends ICA after a birth; used by tests and demos to create babies on any date.
    Accepts `Idempotency-Key`."""

    def work(s):
        if s.get(Hospital, body.hospital_code.upper()) is None:
            raise Problem("validation_failed", "Unknown hospital code.", status=422)
        mother = s.execute(select(Person).where(Person.nric == body.mother_nric)).scalar_one_or_none()
        father = (s.execute(select(Person).where(Person.nric == body.father_nric)).scalar_one_or_none()
                  if body.father_nric else None)
        if mother is None or (body.father_nric and father is None):
            raise Problem("person_not_found", "The mother or father is not in the records.")
        try:
            born_at = clock.aware(body.born_at).replace(tzinfo=None, second=0, microsecond=0)
        except OverflowError:
            born_at = datetime.min
        if not datetime(2000, 1, 1) <= born_at <= clock.now():
            raise Problem("validation_failed", "born_at must be after 2000 and not in the future.", status=422)
        while True:  # the hospital feed's numbers: NLB + year + 6 digits (seeded ones are below 100000)
            number = f"NLB{born_at.year}{100000 + secrets.randbelow(900000):06d}"
            if s.execute(select(LiveBirthNotification.id).where(LiveBirthNotification.enlb_number == number)).first() is None:
                break
        n = LiveBirthNotification(
            enlb_number=number, hospital_code=body.hospital_code.upper(),
            born_at=born_at, sex=body.sex, birth_weight_g=body.birth_weight_g, mother_id=mother.id,
            father_id=father.id if father else None, created_at=clock.now(),
        )
        s.add(n)
        s.flush()
        return 201, notification_out(s, n, clock.today())

    return idempotency.run(request, sessions(request), "admin", body, work)


class CentreReplyIn(BaseModel):
    status: Literal["offered", "waitlisted", "declined"]


@router.post("/ecda/interests/{reference}/reply", response_model=InterestOut, responses=problems(401, 404, 409, 422),
             summary="A centre's reply to a registration of interest (offered, waitlisted, declined)")
def centre_reply(body: CentreReplyIn, request: Request, reference: str = Path(..., max_length=16)):
    """What the centre's own system would send ECDA; used by tests and demos. Accepts `Idempotency-Key`."""

    def work(s):
        return 200, interest_out(s, interests.reply(s, reference, body.status))

    return idempotency.run(request, sessions(request), "admin", {"ref": reference, **body.dict()}, work)
