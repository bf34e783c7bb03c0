"""What is coming up for citizens (/notify/v1), for the notifier (moments/notifier): one *item* per thing a parent
may want to be reminded of, each with a stable `key` and the reminder `window` it falls in on the given day.

    birth_registration     a live birth not yet registered, day 28 (`day-28`) and day 38 (`day-38`) after birth
    vaccination_due        doses not given and due in 1-7 days (`due-7`), unless a vaccination is booked
    vaccination_overdue    doses not given, due 14 days ago or more and not lapsed (`overdue-14`), unless booked
    appointment_tomorrow   a booked polyclinic appointment on the next day (`eve`)
    baby_bonus_paid        a cash-gift instalment paid in the last 7 days (`paid`), with the next one

The day is a parameter (`on`, default today): the notifier asks with its own clock, so moving the clock forward
(`make notifier-clock ADVANCE=28d`) shows what would be due then. An item is listed only while it is still relevant
(a registered birth, a given dose or a booked vaccination drops out), which is what makes "sent late, once, or
skipped" work on the notifier's side. (citizen, key, window) is the notifier's unique key.

Access: the calling system's X-API-Key and the notifier's own key, X-Notifier-Key (AGENCIES_NOTIFIER_KEY): the
bulk list carries parents' mobile numbers, so no other system may read it. Without that key configured the routes
refuse every request.
"""
from __future__ import annotations

import hmac
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Dict, List, Optional

from fastapi import APIRouter, Depends, Path, Query, Request, Security
from fastapi.responses import Response
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, Field
from sqlalchemy import or_, select

from moments.rules import baby_bonus as bb_rules
from moments.rules.birth import registration_deadline

from . import clock
from .common import json_response, sessions
from .errors import Problem, problems
from .immunisation import status_for
from .models import (Appointment, BabyBonusApplication, BirthRegistration, Clinic, ImmunisationRecord,
                     LiveBirthNotification, Person, Slot)
from .security import require_api_key, settings_of

router = APIRouter(prefix="/notify/v1", tags=["Notifier"])

notifier_key_scheme = APIKeyHeader(
    name="X-Notifier-Key", auto_error=False, scheme_name="NotifierKey",
    description="The notifier's key (`AGENCIES_NOTIFIER_KEY`), besides X-API-Key: the due list carries mobile numbers.",
)

BIRTH_WINDOWS = ((38, "day-38"), (28, "day-28"))  # checked latest first: a late run sends only the latest window
DUE_AHEAD_DAYS = 7
OVERDUE_AFTER_DAYS = 14
PAID_WITHIN_DAYS = 7
MAX_CHILD_AGE_DAYS = 6 * 366


async def require_notifier(request: Request, client: str = Depends(require_api_key),
                           key: Optional[str] = Security(notifier_key_scheme)) -> str:
    expected = getattr(settings_of(request), "notifier_key", "") or ""
    if not key:
        raise Problem("api_key_missing", "Send the notifier's key in the X-Notifier-Key header.")
    if not expected or not hmac.compare_digest(key.encode(), expected.encode()):
        raise Problem("api_key_invalid", "The X-Notifier-Key is not valid (or AGENCIES_NOTIFIER_KEY is not set).")
    return client


class DueChild(BaseModel):
    id: Optional[str] = Field(None, description="The child's id; null for a birth not registered yet")
    name: Optional[str]
    born_on: date


class DueItem(BaseModel):
    key: str = Field(..., example="vaccination:3f2a…:2026-12-14")
    window: str = Field(..., example="due-7")
    kind: str = Field(..., description="birth_registration | vaccination_due | vaccination_overdue | "
                                       "appointment_tomorrow | baby_bonus_paid")
    child: DueChild
    due_on: date = Field(..., description="The deadline, the doses' due date, the appointment's day, the payment's day")
    doses: Optional[List[str]] = Field(None, description="NCIS dose codes (vaccinations)")
    reference: Optional[str] = Field(None, description="AP-… (appointments), BB-… (Baby Bonus)")
    starts_at: Optional[datetime] = None
    clinic: Optional[Dict[str, str]] = Field(None, description="Clinic name in en, zh, ms, ta and its address")
    amount: Optional[int] = Field(None, description="Dollars paid (Baby Bonus)")
    next_on: Optional[date] = None
    next_amount: Optional[int] = None


class DueCitizen(BaseModel):
    person_id: str
    mobile: Optional[str] = Field(None, description="E.164; the notifier texts it and never stores it")
    items: List[DueItem]


class DuePage(BaseModel):
    on: date
    citizens: List[DueCitizen]
    next_after: Optional[str] = Field(None, description="Pass as `after` for the next page; null on the last one")


def _on(value: Optional[date]) -> date:
    day = value or clock.today()
    if not date(2000, 1, 1) <= day <= date(2100, 1, 1):
        raise Problem("date_range_invalid", "`on` must be between 2000 and 2100.")
    return day


@router.get("/due", response_model=DuePage, responses=problems(401, 422),
            summary="What is coming up for every parent with a mobile number, a page at a time")
def due_page(request: Request, on: Optional[date] = Query(None, description="The day to compute for; default today"),
             after: Optional[str] = Query(None, max_length=64, description="`next_after` of the previous page"),
             limit: int = Query(500, ge=1, le=2000),
             _client: str = Depends(require_notifier)) -> Response:
    day = _on(on)
    with sessions(request)() as s:
        q = select(Person.id, Person.mobile).where(Person.mobile.is_not(None))
        if after:
            q = q.where(Person.id > after)
        people = list(s.execute(q.order_by(Person.id).limit(limit)))
        items = due_for(s, [p.id for p in people], day)
    citizens = [DueCitizen(person_id=p.id, mobile=p.mobile, items=items[p.id]) for p in people if items.get(p.id)]
    page = DuePage(on=day, citizens=citizens, next_after=people[-1].id if len(people) == limit else None)
    return json_response(page)


@router.get("/people/{person_id}/due", response_model=DueCitizen, responses=problems(401, 404, 422),
            summary="What is coming up for one parent")
def due_person(request: Request, person_id: str = Path(..., max_length=64), on: Optional[date] = Query(None),
               _client: str = Depends(require_notifier)) -> Response:
    day = _on(on)
    with sessions(request)() as s:
        person = s.get(Person, person_id)
        if person is None:
            raise Problem("not_found", "There is no such person.")
        items = due_for(s, [person.id], day)
    return json_response(DueCitizen(person_id=person.id, mobile=person.mobile, items=items.get(person.id, [])))


def due_for(s, parent_ids: List[str], day: date) -> Dict[str, List[DueItem]]:
    """Every parent's items on `day` (five queries for the whole page, whatever its size)."""
    out: Dict[str, List[DueItem]] = defaultdict(list)
    if not parent_ids:
        return out
    ids = set(parent_ids)

    def parents(mother: Optional[str], father: Optional[str]) -> List[str]:
        return [p for p in {mother, father} if p in ids]

    # births not registered yet, from the hospitals' notifications
    oldest = datetime.combine(day - timedelta(days=43), datetime.min.time())
    notes = s.execute(
        select(LiveBirthNotification.enlb_number, LiveBirthNotification.born_at, LiveBirthNotification.mother_id,
               LiveBirthNotification.father_id)
        .outerjoin(BirthRegistration, BirthRegistration.notification_id == LiveBirthNotification.id)
        .where(BirthRegistration.id.is_(None), LiveBirthNotification.born_at >= oldest,
               or_(LiveBirthNotification.mother_id.in_(ids), LiveBirthNotification.father_id.in_(ids))))
    for enlb, born_at, mother, father in notes:
        born_on = born_at.date()
        age = (day - born_on).days
        deadline = registration_deadline(born_on)
        window = next((w for start, w in BIRTH_WINDOWS if start <= age and day <= deadline), None)
        if window:
            item = DueItem(key=f"birth:{enlb}", window=window, kind="birth_registration",
                           child=DueChild(born_on=born_on, name=None), due_on=deadline)
            for p in parents(mother, father):
                out[p].append(item)

    # registered children under six: vaccinations, appointments, Baby Bonus
    children = list(s.execute(select(Person).where(
        or_(Person.mother_id.in_(ids), Person.father_id.in_(ids)),
        Person.date_of_birth > day - timedelta(days=MAX_CHILD_AGE_DAYS))).scalars())
    if not children:
        return out
    child_ids = [c.id for c in children]
    given: Dict[str, Dict[str, date]] = defaultdict(dict)
    for child_id, code, on in s.execute(select(ImmunisationRecord.child_id, ImmunisationRecord.dose_code,
                                               ImmunisationRecord.given_on)
                                        .where(ImmunisationRecord.child_id.in_(child_ids))):
        given[child_id][code] = on
    booked = s.execute(
        select(Appointment.child_id, Appointment.service, Appointment.reference, Slot.starts_at, Clinic)
        .join(Slot, Slot.id == Appointment.slot_id).join(Clinic, Clinic.id == Slot.clinic_id)
        .where(Appointment.child_id.in_(child_ids), Appointment.status == "booked",
               Slot.starts_at >= datetime.combine(day, datetime.min.time())))
    vaccination_booked = set()
    tomorrow = day + timedelta(days=1)
    appointments: Dict[str, List[DueItem]] = defaultdict(list)
    for child_id, service, reference, starts_at, clinic in booked:
        if service == "vaccination":
            vaccination_booked.add(child_id)
        if starts_at.date() == tomorrow:
            appointments[child_id].append(DueItem(
                key=f"appointment:{reference}:{starts_at.isoformat(timespec='minutes')}", window="eve",
                kind="appointment_tomorrow", child=DueChild(id=child_id, name=None, born_on=day),
                due_on=tomorrow, reference=reference, starts_at=clock.aware(starts_at),
                clinic={"en": clinic.name_en, "zh": clinic.name_zh, "ms": clinic.name_ms, "ta": clinic.name_ta,
                        "address": clinic.address}))
    applications = {a.child_id: a for a in s.execute(
        select(BabyBonusApplication).where(BabyBonusApplication.child_id.in_(child_ids),
                                           BabyBonusApplication.status == "approved")).scalars()}
    order: Dict[str, int] = {}
    for mother_children in _by_mother(children).values():
        for n, c in enumerate(sorted(mother_children, key=lambda c: (c.date_of_birth, c.id)), start=1):
            order[c.id] = n

    for child in children:
        who = DueChild(id=child.id, name=child.name, born_on=child.date_of_birth)
        items: List[DueItem] = []
        if child.id not in vaccination_booked:
            items += _vaccinations(child, who, given[child.id], day)
        for a in appointments.get(child.id, []):
            items.append(a.copy(update={"child": who}))
        app = applications.get(child.id)
        if app is not None:
            items += _baby_bonus(child, who, app, order.get(child.id, 1), day)
        for p in parents(child.mother_id, child.father_id):
            out[p].extend(items)
    return out


def _by_mother(children: List[Person]) -> Dict[str, List[Person]]:
    groups: Dict[str, List[Person]] = defaultdict(list)
    for c in children:
        groups[c.mother_id or c.father_id or c.id].append(c)
    return groups


def _vaccinations(child: Person, who: DueChild, given: Dict[str, date], day: date) -> List[DueItem]:
    soon: Dict[date, List[str]] = defaultdict(list)
    late: List[tuple] = []
    for st in status_for(child.date_of_birth, given, day):
        if st.status in ("completed", "lapsed"):
            continue
        ahead = (st.due_on - day).days
        if 1 <= ahead <= DUE_AHEAD_DAYS:
            soon[st.due_on].append(st.dose.code)
        elif -ahead >= OVERDUE_AFTER_DAYS:
            late.append((st.due_on, st.dose.code))
    items = [DueItem(key=f"vaccination:{child.id}:{due_on.isoformat()}", window="due-7", kind="vaccination_due",
                     child=who, due_on=due_on, doses=codes) for due_on, codes in sorted(soon.items())]
    if late:  # one reminder for all overdue doses; a dose that becomes overdue later makes a new key
        latest = max(d for d, _ in late)
        items.append(DueItem(key=f"vaccination-overdue:{child.id}:{latest.isoformat()}", window="overdue-14",
                             kind="vaccination_overdue", child=who, due_on=min(d for d, _ in late),
                             doses=[c for _, c in sorted(late)]))
    return items


def _baby_bonus(child: Person, who: DueChild, app: BabyBonusApplication, order: int, day: date) -> List[DueItem]:
    scheme = bb_rules.scheme_for(child.date_of_birth)
    schedule = [(bb_rules.add_months(child.date_of_birth, m), amount) for m, amount in scheme.schedule(order)]
    paid_from = max(day - timedelta(days=PAID_WITHIN_DAYS - 1), app.created_at.date())
    for n, (due_on, amount) in enumerate(schedule):
        if paid_from <= due_on <= day:
            nxt = schedule[n + 1] if n + 1 < len(schedule) else (None, None)
            return [DueItem(key=f"baby-bonus:{child.id}:{n + 1}", window="paid", kind="baby_bonus_paid", child=who,
                            due_on=due_on, reference=app.reference, amount=amount, next_on=nxt[0],
                            next_amount=nxt[1])]
    return []

