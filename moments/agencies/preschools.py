"""ECDA preschools (/ecda/v1): centres near a postal code or home, fees after the basic subsidy, vacancies, and
registrations of interest (`PS-…`).

Reference data (centres, a centre's details) needs only `X-API-Key`. A child's search and the registrations need
the citizen token with `ecda.preschools`; "near my home" uses the MyInfo address only when the token also carries
`myinfo.person` (consent), else `postal_code_required`. Fees after subsidy come from preschool_fees, never from the
database. The rules of registering and cancelling are in services/interests.py.
"""
from __future__ import annotations

import logging
import re
from datetime import date, datetime
from typing import List, Literal, Optional

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from . import clock, geo, idempotency
from .common import as_caller, caller, children_of, json_response, own_child, sessions
from .errors import Problem, problems
from .models import Address, Feedback, Person, PreschoolCentre, PreschoolInterest, PreschoolVacancy
from .preschool_fees import (
    LEVELS,
    default_programme,
    fee_after_subsidy,
    fee_cap,
    level_for,
    levels_of,
    months_between,
    programme_fee,
    service_for,
)
from .security import Citizen, citizen, require_api_key
from .services import interests

log = logging.getLogger("moments.agencies.ecda")

router = APIRouter(prefix="/ecda/v1", tags=["ECDA preschools"])

LevelParam = Literal["infant", "playgroup", "n1", "n2", "k1", "k2"]
ServiceParam = Literal["infant_care", "childcare", "kindergarten"]
ProgrammeParam = Literal["full_day", "half_day", "flexi"]
LanguageParam = Literal["chinese", "malay", "tamil"]
OperatorParam = Literal["anchor", "partner", "moe", "private"]
START_MONTH = re.compile(r"^(20[0-9]{2})-(0[1-9]|1[0-2])$")
MAX_MONTHS_AHEAD = 24


# --- shapes -------------------------------------------------------------------------------------------------------

class FeeOut(BaseModel):
    service: str = Field(..., description="infant_care | childcare | kindergarten")
    programme: str = Field(..., description="full_day | half_day | flexi")
    monthly: int = Field(..., description="The centre's fee, dollars a month (Singapore Citizen child)")
    subsidy: int = Field(..., description="Basic subsidy applied, dollars a month")
    after_subsidy: int = Field(..., description="What the parent pays after the basic subsidy")
    fee_cap: Optional[int] = Field(None, description="The cap an anchor, partner or MOE operator keeps to")


class CentreSummary(BaseModel):
    id: str = Field(..., example="little-sprouts-ang-mo-kio-345")
    name: str
    operator: str
    operator_kind: str = Field(..., description="anchor | partner | moe | private")
    services: List[str]
    programmes: List[str]
    second_languages: List[str] = Field(..., description="chinese | malay | tamil")
    address: str
    postal_code: str
    distance_km: Optional[float] = Field(None, description="Approximate, when searched from a postal code")
    level: Optional[str] = Field(None, description="The level searched for")
    fee: FeeOut
    vacancies: int = Field(..., description="Places free at the level searched for (all levels when none)")
    waitlist: int = Field(..., description="Children waiting at that level (all levels when none)")
    opening_hours: str
    accessibility: str


class LevelOut(BaseModel):
    level: str
    service: str
    vacancies: int
    waitlist: int


class RatingOut(BaseModel):
    average: Optional[float]
    count: int


class CentreDetails(CentreSummary):
    fees: List[FeeOut] = Field(..., description="Every service and programme the centre offers")
    levels: List[LevelOut]
    rating: RatingOut = Field(..., description="From parents' feedback (POST /feedback/v1/feedback)")


class Origin(BaseModel):
    postal_code: str
    source: str = Field(..., description="given | home (the MyInfo address, with consent)")


class PreschoolChild(BaseModel):
    id: str
    name: str
    date_of_birth: date


class ChildSearch(BaseModel):
    child: PreschoolChild
    start_month: str = Field(..., example="2027-03")
    age_months: int = Field(..., description="The child's age in whole months on the 1st of the start month")
    level: str
    origin: Origin
    centres: List[CentreSummary]


# --- helpers ------------------------------------------------------------------------------------------------------

def _list(value: str) -> list[str]:
    return [v for v in value.split(",") if v]


def fee_of(c: PreschoolCentre, service: str, programme: str, *, citizen: bool = True,
           working_mother: bool = True) -> FeeOut:
    stored = {"infant_care": c.fee_infant_care_dollars, "childcare": c.fee_childcare_dollars,
              "kindergarten": c.fee_kindergarten_dollars}[service] or 0
    monthly = programme_fee(stored, service, programme)
    fee = fee_after_subsidy(monthly, service, programme, citizen=citizen, working_mother=working_mother)
    cap = fee_cap(c.operator_kind, service)
    return FeeOut(service=service, programme=programme, monthly=fee.monthly, subsidy=fee.subsidy,
                  after_subsidy=fee.after_subsidy,
                  fee_cap=None if cap is None else programme_fee(cap, service, programme))


def _vacancies(s) -> dict[str, dict[str, tuple[int, int]]]:
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for v in s.execute(select(PreschoolVacancy)).scalars():
        out.setdefault(v.centre_id, {})[v.level] = (v.vacancies, v.waitlist)
    return out


def summary(c: PreschoolCentre, vacancies: dict[str, tuple[int, int]], *, level: str | None, service: str,
            programme: str, distance: float | None, citizen: bool, working_mother: bool) -> CentreSummary:
    if level is not None:
        free, waiting = vacancies.get(level, (0, 0))
    else:
        free, waiting = sum(v for v, _ in vacancies.values()), sum(w for _, w in vacancies.values())
    return CentreSummary(
        id=c.id, name=c.name, operator=c.operator, operator_kind=c.operator_kind, services=_list(c.services),
        programmes=_list(c.programmes), second_languages=_list(c.second_languages), address=c.address,
        postal_code=c.postal_code, distance_km=None if distance is None else round(distance, 1), level=level,
        fee=fee_of(c, service, programme, citizen=citizen, working_mother=working_mother), vacancies=free,
        waitlist=waiting, opening_hours=c.opening_hours, accessibility=c.accessibility)


def _origin(postal_code: str | None) -> tuple[float, float] | None:
    if postal_code is None:
        return None
    origin = geo.locate(postal_code)
    if origin is None:
        raise Problem("postal_code_invalid", "A Singapore postal code has 6 digits, e.g. 560406.")
    return origin


def search(s, *, origin: tuple[float, float] | None, level: str | None, service: str | None,
           programme: str | None, second_language: str | None, operator_kind: str | None,
           max_fee: int | None, vacancy_only: bool, citizen: bool, working_mother: bool,
           limit: int) -> list[CentreSummary]:
    """Centres that take `level` (or offer `service`) in `programme`, filtered, nearest first (else by name)."""
    vacancies = _vacancies(s)
    found = []
    for c in s.execute(select(PreschoolCentre).order_by(PreschoolCentre.name, PreschoolCentre.id)).scalars():
        services, programmes = _list(c.services), _list(c.programmes)
        if level is not None:
            chosen = service_for(level, services, c.operator_kind)
            if chosen is None or (service is not None and chosen != service):
                continue
        else:
            chosen = service if service in services else (services[0] if service is None else None)
            if chosen is None:
                continue
        prog = programme if programme in programmes else (default_programme(chosen, programmes)
                                                          if programme is None else None)
        if prog is None:
            continue
        if second_language and second_language not in _list(c.second_languages):
            continue
        if operator_kind and c.operator_kind != operator_kind:
            continue
        distance = geo.distance_km(origin, (c.latitude, c.longitude)) if origin else None
        item = summary(c, vacancies.get(c.id, {}), level=level, service=chosen, programme=prog, distance=distance,
                       citizen=citizen, working_mother=working_mother)
        if max_fee is not None and item.fee.after_subsidy > max_fee:
            continue
        if vacancy_only and item.vacancies <= 0:
            continue
        found.append((distance if distance is not None else 0.0, c.name if origin is None else c.id, item))
    found.sort(key=lambda t: (t[0], t[1]))
    return [item for _, _, item in found[:limit]]


def parse_start_month(value: str | None) -> date:
    """'2027-03' -> 1 Mar 2027; default the month after this one; not before this month nor 24 months ahead."""
    today = clock.today()
    this_month = today.replace(day=1)
    if value is None:
        return clock.add_months(this_month, 1)
    m = START_MONTH.fullmatch(value.strip())
    if not m:
        raise Problem("start_month_invalid", "Give the start month as YYYY-MM, e.g. 2027-01.")
    start = date(int(m.group(1)), int(m.group(2)), 1)
    if start < this_month or months_between(this_month, start) > MAX_MONTHS_AHEAD:
        raise Problem("start_month_invalid",
                      f"The start month must be from this month to {MAX_MONTHS_AHEAD} months ahead.")
    return start


def level_of_child(child: Person, start: date) -> str:
    level = level_for(child.date_of_birth, start)
    if level is None:
        age = max(0, months_between(child.date_of_birth, start))
        raise Problem("child_age_out_of_range",
                      f"{child.name} will be {age} months old in {start:%B %Y}: preschools take children from "
                      "2 months (infant care) to 6 years (K2).", age_months=age)
    return level


def home_postal_code(s, me: Person) -> str | None:
    """The caller's MyInfo address, else their spouse's."""
    for pid in (me.id, me.spouse_id):
        if pid:
            address = s.get(Address, pid)
            if address is not None:
                return address.postal_code
    return None


# --- routes -------------------------------------------------------------------------------------------------------

@router.get("/centres", response_model=List[CentreSummary], responses=problems(401, 422),
            summary="Preschools nearest a postal code, by level, language, programme, fee after subsidy, vacancy")
def centres(request: Request,
            postal_code: Optional[str] = Query(None, max_length=6, description="Nearest first from here"),
            level: Optional[LevelParam] = Query(None, description="Only centres that take this level"),
            service: Optional[ServiceParam] = Query(None),
            programme: Optional[ProgrammeParam] = Query(None, description="Default: full day (kindergarten: half)"),
            second_language: Optional[LanguageParam] = Query(None),
            operator_kind: Optional[OperatorParam] = Query(None),
            max_fee_after_subsidy: Optional[int] = Query(None, ge=0, le=100_000),
            vacancy_only: bool = Query(False, description="Only centres with a free place at the level"),
            citizen_child: bool = Query(True, description="The basic subsidy is for Singapore Citizen children"),
            working_mother: bool = Query(True, description="The basic subsidy is higher when the mother works"),
            limit: int = Query(5, ge=1, le=60),
            _client: str = Depends(require_api_key)) -> Response:
    origin = _origin(postal_code)
    with sessions(request)() as s:
        return json_response(search(s, origin=origin, level=level, service=service, programme=programme,
                                    second_language=second_language, operator_kind=operator_kind,
                                    max_fee=max_fee_after_subsidy, vacancy_only=vacancy_only, citizen=citizen_child,
                                    working_mother=working_mother, limit=limit))


def centre_or_404(s, centre_id: str) -> PreschoolCentre:
    c = s.get(PreschoolCentre, centre_id)
    if c is None:
        raise Problem("centre_not_found", "There is no preschool centre with that id; see GET /ecda/v1/centres.")
    return c


@router.get("/centres/{centre_id}", response_model=CentreDetails, responses=problems(401, 404),
            summary="One centre: every fee after subsidy, vacancies and waitlist per level, parents' rating")
def centre(request: Request, centre_id: str = Path(..., max_length=48),
           working_mother: bool = Query(True), _client: str = Depends(require_api_key)) -> Response:
    with sessions(request)() as s:
        c = centre_or_404(s, centre_id)
        vacancies = _vacancies(s).get(c.id, {})
        services, programmes = _list(c.services), _list(c.programmes)
        first = services[0]
        base = summary(c, vacancies, level=None, service=first, programme=default_programme(first, programmes) or
                       programmes[0], distance=None, citizen=True, working_mother=working_mother)
        fees = [fee_of(c, sv, p, working_mother=working_mother) for sv in services for p in programmes
                if sv != "kindergarten" or p == "half_day"]
        levels = [LevelOut(level=lv, service=sv, vacancies=vacancies.get(lv, (0, 0))[0],
                           waitlist=vacancies.get(lv, (0, 0))[1])
                  for sv in services for lv in levels_of(sv, c.operator_kind)
                  if service_for(lv, services, c.operator_kind) == sv]
        levels.sort(key=lambda x: LEVELS.index(x.level))
        avg, count = s.execute(select(func.avg(Feedback.rating), func.count(Feedback.id))
                               .where(Feedback.centre_id == c.id)).one()
        return json_response(CentreDetails(**base.dict(), fees=fees, levels=levels,
                                           rating=RatingOut(average=None if avg is None else round(float(avg), 1),
                                                            count=count)))


@router.get("/children/{child_id}/centres", response_model=ChildSearch, responses=problems(401, 403, 404, 422),
            summary="Preschools for your child: the level from the child's age on the start month, near home")
def centres_for_child(request: Request, child_id: str = Path(..., max_length=64),
                      start_month: Optional[str] = Query(None, max_length=7, description="YYYY-MM; default next month"),
                      postal_code: Optional[str] = Query(None, max_length=6,
                                                         description="Default: your MyInfo address (with consent)"),
                      programme: Optional[ProgrammeParam] = Query(None),
                      second_language: Optional[LanguageParam] = Query(None),
                      operator_kind: Optional[OperatorParam] = Query(None),
                      max_fee_after_subsidy: Optional[int] = Query(None, ge=0, le=100_000),
                      vacancy_only: bool = Query(False),
                      working_mother: bool = Query(True),
                      limit: int = Query(5, ge=1, le=60),
                      who: Citizen = Depends(citizen("ecda.preschools"))) -> Response:
    """The fee after subsidy follows the child's citizenship (the basic subsidy is for Singapore Citizens)."""
    start = parse_start_month(start_month)
    origin = _origin(postal_code)
    with as_caller(request, who) as (s, me):
        child = own_child(s, me.id, child_id)
        level = level_of_child(child, start)
        source = "given"
        if postal_code is None:
            home = home_postal_code(s, me) if "myinfo.person" in who.scopes else None
            if home is None:
                raise Problem("postal_code_required",
                              "Give a postal code: there is no MyInfo address to use (or no consent to read it).")
            postal_code, origin, source = home, geo.locate(home), "home"
        found = search(s, origin=origin, level=level, service=None, programme=programme,
                       second_language=second_language, operator_kind=operator_kind, max_fee=max_fee_after_subsidy,
                       vacancy_only=vacancy_only, citizen=child.residential_status == "citizen",
                       working_mother=working_mother, limit=limit)
        return json_response(ChildSearch(
            child=PreschoolChild(id=child.id, name=child.name, date_of_birth=child.date_of_birth),
            start_month=f"{start:%Y-%m}", age_months=max(0, months_between(child.date_of_birth, start)), level=level,
            origin=Origin(postal_code=postal_code, source=source), centres=found))


# --- registrations of interest ------------------------------------------------------------------------------------

class CentreRef(BaseModel):
    id: str
    name: str
    address: str
    postal_code: str


class InterestOut(BaseModel):
    reference: str = Field(..., example="PS-7K3M9Q2X")
    status: str = Field(..., description="submitted (the centre has not replied) | waitlisted | offered | "
                                         "declined | cancelled")
    child: PreschoolChild
    centre: CentreRef
    level: str
    programme: str
    start_month: str = Field(..., example="2027-03")
    waitlist_position: Optional[int] = Field(None, description="When waitlisted")
    fee: FeeOut
    created_at: datetime
    updated_at: datetime


def interest_out(s, i: PreschoolInterest) -> InterestOut:
    c = s.get(PreschoolCentre, i.centre_id)
    child = s.get(Person, i.child_id)
    service = service_for(i.level, _list(c.services), c.operator_kind) or _list(c.services)[0]
    return InterestOut(
        reference=i.reference, status=i.status,
        child=PreschoolChild(id=child.id, name=child.name, date_of_birth=child.date_of_birth),
        centre=CentreRef(id=c.id, name=c.name, address=c.address, postal_code=c.postal_code),
        level=i.level, programme=i.programme, start_month=f"{i.start_month:%Y-%m}",
        waitlist_position=i.waitlist_position,
        fee=fee_of(c, service, i.programme, citizen=child.residential_status == "citizen"),
        created_at=clock.aware(i.created_at), updated_at=clock.aware(i.updated_at))


class InterestRequest(BaseModel):
    child_id: str = Field(..., max_length=64)
    centre_id: str = Field(..., max_length=48)
    start_month: str = Field(..., max_length=7, example="2027-03", description="YYYY-MM")
    programme: Optional[ProgrammeParam] = Field(None, description="Default: full day (kindergarten: half day)")


@router.post("/interests", status_code=201, response_model=InterestOut, responses=problems(401, 403, 404, 409, 422),
             summary="Register interest in a centre for your child from a start month")
def register_interest(body: InterestRequest, request: Request, who: Citizen = Depends(citizen("ecda.preschools"))):
    """`interest_exists` (409, with `interest_reference`) when the child already has an active registration at that
    centre: one per child and centre, whichever parent made it. A full level puts the child on the waitlist
    (`waitlisted`, with the position). Accepts `Idempotency-Key`."""

    def work(s):
        return 201, interest_out(s, interests.register(s, who.person_id, body))

    return idempotency.run(request, sessions(request), who.idempotency_scope, body, work)


@router.get("/interests", response_model=List[InterestOut], responses=problems(401, 403),
            summary="Your children's registrations of interest and the centres' replies")
def my_interests(request: Request,
                 status: Optional[Literal["submitted", "waitlisted", "offered", "declined", "cancelled"]] = Query(None),
                 child_id: Optional[str] = Query(None, max_length=64),
                 who: Citizen = Depends(citizen("ecda.preschools"))) -> Response:
    with as_caller(request, who) as (s, me):
        child_ids = [c.id for c in children_of(s, me.id) if child_id is None or c.id == child_id]
        q = select(PreschoolInterest).where(PreschoolInterest.child_id.in_(child_ids))
        if status:
            q = q.where(PreschoolInterest.status == status)
        rows = s.execute(q.order_by(PreschoolInterest.created_at, PreschoolInterest.id)).scalars()
        return json_response([interest_out(s, i) for i in rows])


@router.get("/interests/{reference}", response_model=InterestOut, responses=problems(401, 403, 404),
            summary="One of your children's registrations of interest")
def get_interest(request: Request, reference: str = Path(..., max_length=16),
                 who: Citizen = Depends(citizen("ecda.preschools"))) -> Response:
    with sessions(request)() as s:
        return json_response(interest_out(s, interests.mine(s, caller(s, who.person_id).id, reference)))


@router.post("/interests/{reference}/cancel", response_model=InterestOut, responses=problems(401, 403, 404, 409, 422),
             summary="Withdraw a registration of interest")
def cancel_interest(request: Request, reference: str = Path(..., max_length=16),
                    who: Citizen = Depends(citizen("ecda.preschools"))):
    """A waitlisted child leaves the waitlist. `interest_closed` when it is already cancelled or declined.
    Accepts `Idempotency-Key`."""

    def work(s):
        return 200, interest_out(s, interests.cancel(s, who.person_id, reference))

    return idempotency.run(request, sessions(request), who.idempotency_scope, {"ref": reference}, work)

