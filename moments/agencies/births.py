"""ICA birth registration (/ica/v1): notifications of live birth, registrations, certificates."""
from __future__ import annotations

import logging
import re
from datetime import date, datetime
from typing import List, Literal, Optional

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field, validator
from sqlalchemy import or_, select

from moments.rules import birth as birth_rules

from . import certificate, clock, idempotency
from .common import as_caller, json_response, sessions
from .errors import Problem, domain_error, problems
from .models import BirthRegistration, Hospital, LiveBirthNotification, Person
from .schemas import NRIC, PersonRef
from .security import Citizen, citizen, settings_of
from .services import registrations

log = logging.getLogger("moments.agencies.ica")

router = APIRouter(prefix="/ica/v1", tags=["ICA births"])
short_links = APIRouter(tags=["ICA births"])  # /c/<code>: the certificate by a short link (SMS)

TIME_OF_DAY = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
ENLB_SHAPE = re.compile(r"^NLB[0-9]{10}$")


class HospitalOut(BaseModel):
    code: str = Field(..., example="KKH")
    name: str = Field(..., example="KK Women's and Children's Hospital")


class NotificationOut(BaseModel):
    enlb_number: str = Field(..., example="NLB2026000101")
    hospital: HospitalOut
    date_of_birth: date
    time_of_birth: str = Field(..., example="08:42")
    sex: str
    birth_weight_g: Optional[int]
    mother: PersonRef
    father: Optional[PersonRef]
    registration_deadline: date = Field(..., description="Last day to register online (birth + 42 days)")
    days_left: int = Field(..., description="Days left to register online; negative when late")
    status: str = Field(..., description="open | late | registered")
    registration_reference: Optional[str]


def notification_out(s, n: LiveBirthNotification, today: date) -> NotificationOut:
    born_on = n.born_at.date()
    deadline = birth_rules.registration_deadline(born_on)
    reg = s.execute(select(BirthRegistration.reference).where(BirthRegistration.notification_id == n.id)).scalar()
    father = s.get(Person, n.father_id) if n.father_id else None
    hospital = s.get(Hospital, n.hospital_code)
    return NotificationOut(
        enlb_number=n.enlb_number, hospital=HospitalOut(code=hospital.code, name=hospital.name),
        date_of_birth=born_on, time_of_birth=n.born_at.strftime("%H:%M"), sex=n.sex, birth_weight_g=n.birth_weight_g,
        mother=PersonRef.of(s.get(Person, n.mother_id)), father=PersonRef.of(father) if father else None,
        registration_deadline=deadline, days_left=(deadline - today).days,
        status="registered" if reg else ("late" if birth_rules.is_late(born_on, today) else "open"),
        registration_reference=reg,
    )


@router.get("/notifications", response_model=List[NotificationOut], responses=problems(401, 403),
            summary="The caller's notifications of live birth (babies to register)")
def my_notifications(request: Request, include_registered: bool = Query(False),
                     who: Citizen = Depends(citizen("ica.births"))) -> Response:
    with as_caller(request, who) as (s, me):
        rows = s.execute(
            select(LiveBirthNotification)
            .where(or_(LiveBirthNotification.mother_id == me.id, LiveBirthNotification.father_id == me.id))
            .order_by(LiveBirthNotification.born_at.desc())
        ).scalars()
        today = clock.today()
        out = [notification_out(s, n, today) for n in rows]
    return json_response([n for n in out if include_registered or n.status != "registered"])


class RegistrationRequest(BaseModel):
    enlb_number: str = Field(..., max_length=20, example="NLB2026000101",
                             description="The notification of live birth number from the hospital")
    child_name: str = Field(..., max_length=200, example="Tan Kai Xuan", description="In the English alphabet")
    child_ethnic_name: Optional[str] = Field(None, max_length=100, example="陈凯轩",
                                             description="Optional: Chinese characters, Tamil or Jawi")
    sex: Literal["F", "M"]
    date_of_birth: date
    time_of_birth: str = Field(..., example="08:42", description="HH:MM, 24-hour, Singapore time")
    hospital: str = Field(..., max_length=120, example="KKH", description="Hospital code or full name")
    mother_nric: NRIC
    father_nric: Optional[NRIC] = Field(None, description="Required when the parents are married")
    parents_marital_status: Literal["married", "not_married"]
    mother_dialect: Optional[str] = Field(None, max_length=60, example="Hokkien")
    father_dialect: Optional[str] = Field(None, max_length=60, example="Teochew")

    @validator("enlb_number")
    def _enlb(cls, v):
        v = "".join(v.split()).upper()
        if not ENLB_SHAPE.fullmatch(v):
            raise domain_error("validation_failed", "An eNLB number looks like NLB2026000101.")
        return v

    @validator("child_name")
    def _name(cls, v):
        try:
            return birth_rules.clean_english_name(v)
        except birth_rules.RuleError as e:
            raise domain_error(e.code, str(e)) from None

    @validator("child_ethnic_name")
    def _ethnic(cls, v):
        if v is None or not v.strip():
            return None
        try:
            return birth_rules.clean_ethnic_name(v)[0]
        except birth_rules.RuleError as e:
            raise domain_error(e.code, str(e)) from None

    @validator("time_of_birth")
    def _time(cls, v):
        if not TIME_OF_DAY.fullmatch(v):
            raise domain_error("validation_failed", "time_of_birth is HH:MM, e.g. 08:42.")
        return v

    @validator("mother_dialect", "father_dialect")
    def _dialect(cls, v):
        if v is None or not v.strip():
            return None
        try:
            return birth_rules.clean_dialect(v)
        except birth_rules.RuleError as e:
            raise domain_error(e.code, str(e)) from None


class ChildOut(BaseModel):
    id: str
    birth_certificate_number: str
    name: str
    ethnic_name: Optional[str]
    ethnic_script: Optional[str] = Field(None, description="han | tamil | jawi")
    sex: str
    date_of_birth: date
    time_of_birth: str
    citizenship: str = Field(..., description="citizen | not_citizen (citizenship or PR must be applied for)")


class Fee(BaseModel):
    amount_cents: int = 1800
    amount: str = "18.00"
    currency: str = "SGD"
    status: str = "paid"


class CertificateLink(BaseModel):
    url: str
    short_url: str = Field(..., description="The same certificate by a 24-character code (for SMS): redirects to url")
    expires_at: datetime


class Dialects(BaseModel):
    mother: Optional[str]
    father: Optional[str]


class RegistrationOut(BaseModel):
    reference: str = Field(..., example="BR-7K3M9Q2X")
    status: str = "registered"
    registered_at: datetime
    child: ChildOut
    enlb_number: str
    hospital: HospitalOut
    mother: PersonRef
    father: Optional[PersonRef]
    parents_marital_status: str
    dialects: Dialects
    registered_by: PersonRef
    fee: Fee
    certificate: CertificateLink


def registration_out(s, reg: BirthRegistration, request: Request) -> RegistrationOut:
    child = s.get(Person, reg.child_id)
    n = s.get(LiveBirthNotification, reg.notification_id)
    hospital = s.get(Hospital, n.hospital_code)
    father = s.get(Person, reg.father_id) if reg.father_id else None
    settings = settings_of(request)
    base = settings.public_url or str(request.base_url).rstrip("/")
    token = certificate.sign(settings.token_secret, reg.reference, reg.certificate_expires_at)
    return RegistrationOut(
        reference=reg.reference, registered_at=clock.aware(reg.created_at),
        child=ChildOut(id=child.id, birth_certificate_number=child.nric, name=reg.child_name,
                       ethnic_name=reg.child_ethnic_name, ethnic_script=reg.ethnic_script, sex=child.sex,
                       date_of_birth=child.date_of_birth, time_of_birth=n.born_at.strftime("%H:%M"),
                       citizenship="citizen" if child.residential_status == "citizen" else "not_citizen"),
        enlb_number=n.enlb_number, hospital=HospitalOut(code=hospital.code, name=hospital.name),
        mother=PersonRef.of(s.get(Person, reg.mother_id)), father=PersonRef.of(father) if father else None,
        parents_marital_status="married" if reg.parents_married else "not_married",
        dialects=Dialects(mother=reg.mother_dialect, father=reg.father_dialect),
        registered_by=PersonRef.of(s.get(Person, reg.registered_by_id)),
        fee=Fee(amount_cents=reg.fee_cents, amount=f"{reg.fee_cents / 100:.2f}"),
        certificate=CertificateLink(url=f"{base}/ica/v1/certificates/{token}",
                                    short_url=f"{base}/c/{certificate.short_code(settings.token_secret, reg.reference)}",
                                    expires_at=clock.aware(reg.certificate_expires_at)),
    )


@router.post("/registrations", status_code=201, response_model=RegistrationOut,
             responses=problems(401, 403, 404, 409, 422), summary="Register a birth (fee $18)")
def register_birth(body: RegistrationRequest, request: Request,
                   who: Citizen = Depends(citizen("ica.births"))):
    """Checks, in order: the notification exists (`notification_not_found`); the caller is its mother or father
    (`not_a_parent`); it is not registered yet (`already_registered`); within 42 days of birth
    (`registration_late`); every detail matches it (`notification_mismatch`, with `mismatches`); the marital status
    matches ICA's records (`marital_status_mismatch`, `father_required`). Accepts `Idempotency-Key`."""

    def work(s):
        return 201, registration_out(s, registrations.register(s, who.person_id, body), request)

    return idempotency.run(request, sessions(request), who.idempotency_scope, body, work)


def _visible_registrations(me_id: str):
    return or_(BirthRegistration.mother_id == me_id, BirthRegistration.father_id == me_id,
               BirthRegistration.registered_by_id == me_id)


@router.get("/registrations", response_model=List[RegistrationOut], responses=problems(401, 403),
            summary="The caller's birth registrations (as a parent or as the registrant)")
def my_registrations(request: Request, who: Citizen = Depends(citizen("ica.births"))) -> Response:
    with as_caller(request, who) as (s, me):
        rows = s.execute(select(BirthRegistration).where(_visible_registrations(me.id))
                         .order_by(BirthRegistration.created_at.desc(), BirthRegistration.id.desc())).scalars()
        return json_response([registration_out(s, r, request) for r in rows])


@router.get("/registrations/{reference}", response_model=RegistrationOut, responses=problems(401, 403, 404),
            summary="One of the caller's birth registrations")
def get_registration(request: Request, reference: str = Path(..., max_length=16, example="BR-7K3M9Q2X"),
                     who: Citizen = Depends(citizen("ica.births"))) -> Response:
    with as_caller(request, who) as (s, me):
        reg = s.execute(select(BirthRegistration).where(BirthRegistration.reference == reference.upper(),
                                                        _visible_registrations(me.id))).scalar_one_or_none()
        if reg is None:
            raise Problem("registration_not_found", "None of your birth registrations has that reference.")
        return json_response(registration_out(s, reg, request))


@short_links.get("/c/{code}", response_class=RedirectResponse, status_code=302, responses={
    302: {"description": "To the certificate's signed download link"}, **problems(404, 410)},
    summary="A birth certificate by its short link (sent by SMS)")
def short_certificate_link(request: Request, code: str = Path(..., max_length=32)) -> RedirectResponse:
    settings = settings_of(request)
    reference = certificate.verify_short(settings.token_secret, code)
    if reference is None:
        raise Problem("certificate_not_found", "This certificate link is not valid.")
    with sessions(request)() as s:
        reg = s.execute(select(BirthRegistration).where(BirthRegistration.reference == reference)).scalar_one_or_none()
        if reg is None:
            raise Problem("certificate_not_found", "This certificate link is not valid.")
        if clock.now() > reg.certificate_expires_at:
            raise Problem("certificate_expired", "This link has expired (certificates can be downloaded for 90 "
                          "days). Ask ICA for an extract of the birth record.")
        url = registration_out(s, reg, request).certificate.url
    return RedirectResponse(url, status_code=302)


@router.get("/certificates/{token}", response_class=Response, responses={
    200: {"content": {"application/pdf": {}}, "description": "The digital birth certificate (PDF)"},
    **problems(404, 410)}, summary="Download a digital birth certificate (signed link, valid 90 days)")
def download_certificate(request: Request, token: str = Path(..., max_length=80)) -> Response:
    checked = certificate.verify(settings_of(request).token_secret, token)
    if checked is None:
        raise Problem("certificate_not_found", "This certificate link is not valid.")
    reference, expires = checked
    if datetime.now(clock.SGT).timestamp() > expires:
        raise Problem("certificate_expired", "This link has expired (certificates can be downloaded for 90 days). "
                      "Ask ICA for an extract of the birth record.")
    with sessions(request)() as s:
        reg = s.execute(select(BirthRegistration).where(BirthRegistration.reference == reference)).scalar_one_or_none()
        if reg is None:
            raise Problem("certificate_not_found", "This certificate link is not valid.")
        out = registration_out(s, reg, request)
    pdf = certificate.render_pdf("Certificate of Birth (mock) - Republic of Singapore", [
        ("Reference", out.reference),
        ("Birth certificate no.", out.child.birth_certificate_number),
        ("Name", out.child.name),
        ("Sex", out.child.sex),
        ("Date and time of birth", f"{out.child.date_of_birth.isoformat()} {out.child.time_of_birth}"),
        ("Place of birth", out.hospital.name),
        ("Mother", out.mother.name),
        ("Father", out.father.name if out.father else "-"),
        ("Registered on", out.registered_at.date().isoformat()),
    ])
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{out.reference}.pdf"'})
