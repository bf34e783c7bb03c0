"""Health (/health/v1): the childhood immunisation schedule, polyclinics, free slots and appointments.

Booking is atomic without any lock in Python: the slot row is claimed with
`UPDATE slots SET booked_by = :ref WHERE id = :id AND booked_by IS NULL`; exactly one of any number of racing
requests sees one updated row, the rest get `slot_taken`. A partial unique index allows one booked appointment per
child and service. Both hold on SQLite and PostgreSQL.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Dict, List, Literal, Optional

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from . import clock, geo, idempotency
from .common import as_caller, caller, children_of, json_response, own_child, sessions
from .errors import Problem, problems
from .immunisation import NCIS, status_for
from .models import Appointment, Clinic, ImmunisationRecord, Person, Slot
from .schemas import ChildSummary
from .security import Citizen, citizen, require_api_key
from .services import appointments

log = logging.getLogger("moments.agencies.health")

router = APIRouter(prefix="/health/v1", tags=["Health: immunisation and polyclinics"])

Service = Literal["vaccination", "developmental_screening"]
SERVICES = ("vaccination", "developmental_screening")
MAX_RANGE_DAYS = 31


# --- immunisation -------------------------------------------------------------------------------------------------

class ScheduleItem(BaseModel):
    code: str = Field(..., example="MMR-1")
    vaccine: str
    dose: str
    protects_against: str
    age_months: int
    compulsory: bool = Field(..., description="Measles and diphtheria vaccination is compulsory by law")


def _item(d) -> dict:
    return dict(code=d.code, vaccine=d.vaccine, dose=d.dose, protects_against=d.protects_against,
                age_months=d.age_months, compulsory=d.compulsory)


@router.get("/immunisation-schedule", response_model=List[ScheduleItem], responses=problems(401),
            summary="MOH's National Childhood Immunisation Schedule (birth to 5 years)")
def immunisation_schedule(_client: str = Depends(require_api_key)) -> Response:
    return json_response([_item(d) for d in NCIS])


class DoseOut(ScheduleItem):
    due_on: date
    status: str = Field(..., description="upcoming | due | overdue | completed | lapsed")
    given_on: Optional[date]


class ImmunisationSummary(BaseModel):
    completed: int
    due: int
    overdue: int
    upcoming: int


class ChildImmunisations(BaseModel):
    child: ChildSummary
    doses: List[DoseOut]
    summary: ImmunisationSummary
    next_due_on: Optional[date] = Field(None, description="Earliest due date among doses not yet given")


@router.get("/children/{child_id}/immunisations", response_model=ChildImmunisations,
            responses=problems(401, 403, 404), summary="A child's vaccinations: completed, due, overdue, upcoming")
def child_immunisations(request: Request, child_id: str = Path(..., max_length=64),
                        who: Citizen = Depends(citizen("health.appointments"))) -> Response:
    today = clock.today()
    with sessions(request)() as s:
        child = own_child(s, caller(s, who.person_id).id, child_id)
        given = {r.dose_code: r.given_on for r in
                 s.execute(select(ImmunisationRecord).where(ImmunisationRecord.child_id == child.id)).scalars()}
    doses = [DoseOut(**_item(st.dose), due_on=st.due_on, status=st.status, given_on=st.given_on)
             for st in status_for(child.date_of_birth, given, today)]
    count = lambda status: sum(d.status == status for d in doses)  # noqa: E731
    pending = [d.due_on for d in doses if d.status in ("due", "overdue", "upcoming")]
    return json_response(ChildImmunisations(
        child=ChildSummary.of(child), doses=doses,
        summary=ImmunisationSummary(completed=count("completed"), due=count("due"), overdue=count("overdue"),
                                    upcoming=count("upcoming")),
        next_due_on=min(pending) if pending else None,
    ))


# --- clinics and slots --------------------------------------------------------------------------------------------

class ClinicOut(BaseModel):
    id: str = Field(..., example="bukit-batok")
    name: Dict[str, str] = Field(..., description="Name in en, zh, ms and ta",
                                 example={"en": "Bukit Batok Polyclinic", "zh": "武吉巴督综合诊疗所",
                                          "ms": "Poliklinik Bukit Batok", "ta": "புக்கிட் பாத்தோக் பலதுறை மருந்தகம்"})
    address: str
    postal_code: str
    cluster: str
    services: List[str]
    distance_km: Optional[float] = Field(None, description="Approximate, when searched by postal code")


def clinic_out(c: Clinic, distance: float | None = None) -> ClinicOut:
    return ClinicOut(id=c.id, name={"en": c.name_en, "zh": c.name_zh, "ms": c.name_ms, "ta": c.name_ta},
                     address=c.address, postal_code=c.postal_code, cluster=c.cluster, services=list(SERVICES),
                     distance_km=None if distance is None else round(distance, 1))


@router.get("/clinics", response_model=List[ClinicOut], responses=problems(401, 422),
            summary="Polyclinics, by name (any language) or nearest to a postal code")
def clinics(request: Request,
            name: Optional[str] = Query(None, max_length=80, description="Part of the name in any of the 4 languages"),
            postal_code: Optional[str] = Query(None, max_length=6, description="Sort by distance from this postal code"),
            limit: int = Query(10, ge=1, le=50),
            _client: str = Depends(require_api_key)) -> Response:
    origin = None
    if postal_code is not None:
        origin = geo.locate(postal_code)
        if origin is None:
            raise Problem("postal_code_invalid", "A Singapore postal code has 6 digits, e.g. 659164.")
    with sessions(request)() as s:
        rows = list(s.execute(select(Clinic).order_by(Clinic.name_en)).scalars())
    if name:
        needle = " ".join(name.split()).casefold()
        rows = [c for c in rows if any(needle in n.casefold() for n in (c.name_en, c.name_zh, c.name_ms, c.name_ta))]
    if origin is None:
        return json_response([clinic_out(c) for c in rows[:limit]])
    ranked = sorted((geo.distance_km(origin, (c.latitude, c.longitude)), c.id, c) for c in rows)
    return json_response([clinic_out(c, d) for d, _, c in ranked[:limit]])


def _clinic(s, clinic_id: str) -> Clinic:
    c = s.get(Clinic, clinic_id)
    if c is None:
        raise Problem("clinic_not_found", "There is no polyclinic with that id; see GET /health/v1/clinics.")
    return c


@router.get("/clinics/{clinic_id}", response_model=ClinicOut, responses=problems(401, 404), summary="One polyclinic")
def clinic(request: Request, clinic_id: str = Path(..., max_length=32),
           _client: str = Depends(require_api_key)) -> Response:
    with sessions(request)() as s:
        return json_response(clinic_out(_clinic(s, clinic_id)))


class SlotOut(BaseModel):
    id: int
    clinic_id: str
    service: str
    starts_at: datetime
    ends_at: datetime


def _slot_dict(slot) -> dict:
    start = slot.starts_at.replace(tzinfo=clock.SGT)
    return {"id": slot.id, "clinic_id": slot.clinic_id, "service": slot.service, "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(minutes=slot.duration_min)).isoformat()}


def slot_out(slot: Slot) -> SlotOut:
    start = clock.aware(slot.starts_at)
    return SlotOut(id=slot.id, clinic_id=slot.clinic_id, service=slot.service, starts_at=start,
                   ends_at=start + timedelta(minutes=slot.duration_min))


@router.get("/clinics/{clinic_id}/slots", response_model=List[SlotOut], responses=problems(401, 404, 422),
            summary="Free slots at a clinic for a service and date range (at most 31 days)")
def free_slots(request: Request, clinic_id: str = Path(..., max_length=32),
               service: Service = Query("vaccination"),
               date_from: Optional[date] = Query(None, alias="from", description="Default: today"),
               date_to: Optional[date] = Query(None, alias="to", description="Inclusive; default: from + 13 days"),
               limit: int = Query(50, ge=1, le=1000),
               _client: str = Depends(require_api_key)) -> Response:
    start = date_from or clock.today()
    if not date(2000, 1, 1) <= start <= date(2100, 1, 1) or (date_to and date_to > date(2100, 1, 1)):
        raise Problem("date_range_invalid", "Dates must be between 2000 and 2100.")
    end = date_to or start + timedelta(days=13)
    if end < start or (end - start).days >= MAX_RANGE_DAYS:
        raise Problem("date_range_invalid", f"'to' must be on or after 'from', and the range at most {MAX_RANGE_DAYS} days.")
    with sessions(request)() as s:
        _clinic(s, clinic_id)
        rows = s.execute(
            select(Slot.id, Slot.clinic_id, Slot.service, Slot.starts_at, Slot.duration_min)  # rows, not objects
            .where(Slot.clinic_id == clinic_id, Slot.service == service, Slot.booked_by.is_(None),
                   Slot.starts_at >= max(datetime.combine(start, datetime.min.time()), clock.now()),
                   Slot.starts_at < datetime.combine(end + timedelta(days=1), datetime.min.time()))
            .order_by(Slot.starts_at)
            .limit(limit)
        )
        # plain dicts of the SlotOut shape: a page of slots is the hottest read, and pydantic adds ~50 µs a slot
        return json_response([_slot_dict(r) for r in rows])


# --- appointments -------------------------------------------------------------------------------------------------

class ChildRef(BaseModel):
    id: str
    name: str


class AppointmentOut(BaseModel):
    reference: str = Field(..., example="AP-9F3K2M7Q")
    status: str = Field(..., description="booked | cancelled | attended")
    service: str
    child: ChildRef
    clinic: ClinicOut
    slot_id: int
    starts_at: datetime
    ends_at: datetime
    reschedule_count: int
    cancel_reason: Optional[str]
    created_at: datetime
    updated_at: datetime


def appointment_out(s, a: Appointment) -> AppointmentOut:
    slot = s.get(Slot, a.slot_id)
    child = s.get(Person, a.child_id)
    so = slot_out(slot)
    return AppointmentOut(
        reference=a.reference, status=a.status, service=a.service, child=ChildRef(id=child.id, name=child.name),
        clinic=clinic_out(s.get(Clinic, slot.clinic_id)), slot_id=slot.id, starts_at=so.starts_at, ends_at=so.ends_at,
        reschedule_count=a.reschedule_count, cancel_reason=a.cancel_reason,
        created_at=clock.aware(a.created_at), updated_at=clock.aware(a.updated_at),
    )


class BookRequest(BaseModel):
    child_id: str = Field(..., max_length=64)
    slot_id: int = Field(..., ge=1, le=2_147_483_647)


@router.post("/appointments", status_code=201, response_model=AppointmentOut,
             responses=problems(401, 403, 404, 409, 422), summary="Book a slot for your child")
def book(body: BookRequest, request: Request, who: Citizen = Depends(citizen("health.appointments"))):
    """`slot_taken` when someone else got there first (exactly one of many racing requests wins);
    `appointment_exists` when the child already has an upcoming appointment for that service (reschedule it
    instead). Accepts `Idempotency-Key`."""

    def work(s):
        return 201, appointment_out(s, appointments.book(s, who.person_id, body))

    return idempotency.run(request, sessions(request), who.idempotency_scope, body, work)


@router.get("/appointments", response_model=List[AppointmentOut], responses=problems(401, 403),
            summary="Your children's appointments")
def my_appointments(request: Request, status: Optional[Literal["booked", "cancelled", "attended"]] = Query(None),
                    child_id: Optional[str] = Query(None, max_length=64),
                    who: Citizen = Depends(citizen("health.appointments"))) -> Response:
    with as_caller(request, who) as (s, me):
        child_ids = [c.id for c in children_of(s, me.id) if child_id is None or c.id == child_id]
        q = select(Appointment).join(Slot, Slot.id == Appointment.slot_id).where(Appointment.child_id.in_(child_ids))
        if status:
            q = q.where(Appointment.status == status)
        return json_response([appointment_out(s, a) for a in s.execute(q.order_by(Slot.starts_at, Appointment.id)).scalars()])


@router.get("/appointments/{reference}", response_model=AppointmentOut, responses=problems(401, 403, 404),
            summary="One of your children's appointments")
def get_appointment(request: Request, reference: str = Path(..., max_length=16),
                    who: Citizen = Depends(citizen("health.appointments"))) -> Response:
    with sessions(request)() as s:
        return json_response(appointment_out(s, appointments.mine(s, caller(s, who.person_id).id, reference)))


class RescheduleRequest(BaseModel):
    slot_id: int = Field(..., ge=1, le=2_147_483_647)


@router.post("/appointments/{reference}/reschedule", response_model=AppointmentOut,
             responses=problems(401, 403, 404, 409, 422), summary="Move an appointment to another free slot")
def reschedule(body: RescheduleRequest, request: Request, reference: str = Path(..., max_length=16),
               who: Citizen = Depends(citizen("health.appointments"))):
    """The new slot is claimed atomically (`slot_taken`) and the old one freed in the same transaction. Same
    service only (`service_mismatch`). Accepts `Idempotency-Key`."""

    def work(s):
        return 200, appointment_out(s, appointments.reschedule(s, who.person_id, reference, body.slot_id))

    return idempotency.run(request, sessions(request), who.idempotency_scope, {"ref": reference, **body.dict()}, work)


class CancelRequest(BaseModel):
    reason: Optional[str] = Field(None, max_length=200)


@router.post("/appointments/{reference}/cancel", response_model=AppointmentOut,
             responses=problems(401, 403, 404, 409, 422), summary="Cancel an appointment and free its slot")
def cancel(request: Request, reference: str = Path(..., max_length=16),
           body: Optional[CancelRequest] = Body(None),
           who: Citizen = Depends(citizen("health.appointments"))):
    """Accepts `Idempotency-Key`; a cancelled appointment stays visible with status `cancelled`."""
    reason = " ".join(body.reason.split()) if body and body.reason else None

    def work(s):
        return 200, appointment_out(s, appointments.cancel(s, who.person_id, reference, reason))

    return idempotency.run(request, sessions(request), who.idempotency_scope, {"ref": reference, "reason": reason}, work)
