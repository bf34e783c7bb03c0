"""MSF Baby Bonus (/msf/v1): eligibility and amounts for a child, applications, and a calculator."""
from __future__ import annotations

import logging
import re
from datetime import date, datetime
from typing import List, Literal, Optional

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, root_validator, validator
from sqlalchemy import or_, select

from moments.rules import baby_bonus as rules
from moments.rules.baby_bonus import ACCOUNT_LENGTHS

from . import clock, idempotency
from .common import as_caller, caller, children_of, json_response, own_child, sessions
from .errors import Problem, domain_error, problems
from .models import BabyBonusApplication, Person
from .schemas import NRIC, ChildSummary, PersonRef
from .security import Citizen, citizen, require_api_key
from .services import applications

log = logging.getLogger("moments.agencies.msf")

router = APIRouter(prefix="/msf/v1", tags=["MSF Baby Bonus"])


class SchemeOut(BaseModel):
    id: str = Field(..., description="'2023-02-14' for children born on/after 14 Feb 2023, else 'previous'")
    name: str


class InstalmentOut(BaseModel):
    instalment: int
    age_months: int
    due_on: date
    amount: int = Field(..., description="SGD")
    status: str = Field(..., description="paid | due (paid once you join) | upcoming")


class CashGiftOut(BaseModel):
    eligible: bool
    total: int = Field(..., description="SGD")
    schedule: List[InstalmentOut]


class CdaOut(BaseModel):
    eligible: bool
    first_step_grant: int = Field(..., description="SGD, credited when the Child Development Account is opened")
    co_matching_cap: int = Field(..., description="SGD, the most the Government matches dollar for dollar")
    max_government_contribution: int


class ApplicationRef(BaseModel):
    reference: str
    status: str


class BabyBonusOut(BaseModel):
    child: Optional[ChildSummary]
    birth_order: int
    scheme: SchemeOut
    eligible: bool = Field(..., description="True when at least the CDA benefits are available")
    reasons: List[str] = Field(..., description="Problem codes of what is not available: child_not_citizen, "
                                                "parents_not_married, application_window_closed")
    cash_gift: CashGiftOut
    cda: CdaOut
    apply_by: date
    currency: str = "SGD"
    application: Optional[ApplicationRef]


def _present(a: rules.Assessment, child: Person | None, application: BabyBonusApplication | None,
             today: date) -> BabyBonusOut:
    applied = application is not None
    schedule = [
        InstalmentOut(instalment=i.number, age_months=i.age_months, due_on=i.due_on, amount=i.amount,
                      status="upcoming" if i.due_on > today else ("paid" if applied else "due"))
        for i in a.schedule()
    ]
    return BabyBonusOut(
        child=ChildSummary.of(child) if child else None, birth_order=a.birth_order,
        scheme=SchemeOut(id=a.scheme.id, name=a.scheme.name), eligible=a.eligible, reasons=a.reasons,
        cash_gift=CashGiftOut(eligible=a.cash_gift_eligible, total=a.cash_gift_total, schedule=schedule),
        cda=CdaOut(eligible=a.cda_eligible, first_step_grant=a.first_step_grant, co_matching_cap=a.co_matching_cap,
                   max_government_contribution=a.first_step_grant + a.co_matching_cap),
        apply_by=a.apply_by,
        application=ApplicationRef(reference=application.reference, status=application.status) if applied else None,
    )


@router.get("/baby-bonus/calculator", response_model=BabyBonusOut, responses=problems(401, 422),
            summary="Amounts for a date of birth and birth order (no child needed, e.g. before the birth)")
def calculator(date_of_birth: date = Query(..., example="2026-11-02"),
               birth_order: int = Query(..., ge=1, le=20, description="1 for the first child"),
               parents_married: bool = Query(True), citizen_child: bool = Query(True),
               _client: str = Depends(require_api_key)) -> Response:
    today = clock.today()
    if not date(2000, 1, 1) <= date_of_birth <= date(today.year + 2, 12, 31):
        raise Problem("validation_failed", "date_of_birth must be between 2000 and two years from now.")
    a = rules.assess(date_of_birth, birth_order, citizen=citizen_child, parents_married=parents_married, today=today)
    return json_response(_present(a, None, None, today))


@router.get("/children/{child_id}/baby-bonus", response_model=BabyBonusOut, responses=problems(401, 403, 404),
            summary="A child's Baby Bonus eligibility, amounts and payment schedule")
def child_baby_bonus(request: Request, child_id: str = Path(..., max_length=64),
                     who: Citizen = Depends(citizen("msf.babybonus"))) -> Response:
    today = clock.today()
    with sessions(request)() as s:
        child = own_child(s, caller(s, who.person_id).id, child_id)
        return json_response(_present(applications.assess_child(s, child, today), child, applications.application_for(s, child.id), today))


class ApplicationRequest(BaseModel):
    child_id: str = Field(..., max_length=64)
    bank: Literal["DBS/POSB", "OCBC", "UOB"] = Field(..., description="Bank for the cash gift and the CDA")
    bank_account_number: str = Field(..., max_length=30, example="0123456789")
    cda_trustee_nric: NRIC = Field(..., description="The Child Development Account trustee: a parent of the child")

    @validator("bank", pre=True)
    def _bank_alias(cls, v):
        return "DBS/POSB" if isinstance(v, str) and v.strip().upper() in ("DBS", "POSB", "DBS/POSB") else v

    @root_validator(skip_on_failure=True)
    def _account(cls, values):
        digits = re.sub(r"[\s-]", "", values["bank_account_number"])
        if not re.fullmatch(r"[0-9]+", digits) or len(digits) not in ACCOUNT_LENGTHS[values["bank"]]:
            lengths = " or ".join(str(n) for n in ACCOUNT_LENGTHS[values["bank"]])
            raise domain_error("bank_account_invalid", f"A {values['bank']} account number has {lengths} digits.")
        values["bank_account_number"] = digits
        return values


class ApplicationOut(BaseModel):
    reference: str = Field(..., example="BB-4H7N2K9D")
    status: str = Field(..., description="approved")
    submitted_at: datetime
    child: ChildSummary
    applicant: PersonRef
    bank: str
    account_number_masked: str = Field(..., example="******6789")
    cda_trustee: PersonRef
    benefits: BabyBonusOut


def application_out(s, app: BabyBonusApplication, today: date) -> ApplicationOut:
    child = s.get(Person, app.child_id)
    return ApplicationOut(
        reference=app.reference, status=app.status, submitted_at=clock.aware(app.created_at),
        child=ChildSummary.of(child), applicant=PersonRef.of(s.get(Person, app.applicant_id)), bank=app.bank,
        account_number_masked="******" + app.account_last4, cda_trustee=PersonRef.of(s.get(Person, app.cda_trustee_id)),
        benefits=_present(applications.assess_child(s, child, today), child, app, today),
    )


@router.post("/baby-bonus/applications", status_code=201, response_model=ApplicationOut,
             responses=problems(401, 403, 404, 409, 422), summary="Join the Baby Bonus scheme for a child")
def apply(body: ApplicationRequest, request: Request, who: Citizen = Depends(citizen("msf.babybonus"))):
    """One application per child (`application_exists`, with `application_reference`); the child must be yours
    (`child_not_found`) and eligible (`not_eligible`, with `reasons`); the CDA trustee must be a parent
    (`cda_trustee_invalid`). Accepts `Idempotency-Key`."""

    def work(s):
        return 201, application_out(s, applications.apply(s, who.person_id, body), clock.today())

    return idempotency.run(request, sessions(request), who.idempotency_scope, body, work)


def _visible(s, me_id: str):
    child_ids = [c.id for c in children_of(s, me_id)]
    return or_(BabyBonusApplication.applicant_id == me_id, BabyBonusApplication.child_id.in_(child_ids))


@router.get("/baby-bonus/applications", response_model=List[ApplicationOut], responses=problems(401, 403),
            summary="Baby Bonus applications for the caller's children")
def my_applications(request: Request, who: Citizen = Depends(citizen("msf.babybonus"))) -> Response:
    today = clock.today()
    with as_caller(request, who) as (s, me):
        rows = s.execute(select(BabyBonusApplication).where(_visible(s, me.id))
                         .order_by(BabyBonusApplication.created_at.desc(), BabyBonusApplication.id.desc())).scalars()
        return json_response([application_out(s, a, today) for a in rows])


@router.get("/baby-bonus/applications/{reference}", response_model=ApplicationOut, responses=problems(401, 403, 404),
            summary="Status of one Baby Bonus application")
def get_application(request: Request, reference: str = Path(..., max_length=16, example="BB-4H7N2K9D"),
                    who: Citizen = Depends(citizen("msf.babybonus"))) -> Response:
    with as_caller(request, who) as (s, me):
        app = s.execute(select(BabyBonusApplication).where(BabyBonusApplication.reference == reference.upper(),
                                                           _visible(s, me.id))).scalar_one_or_none()
        if app is None:
            raise Problem("application_not_found", "None of your Baby Bonus applications has that reference.")
        return json_response(application_out(s, app, clock.today()))
