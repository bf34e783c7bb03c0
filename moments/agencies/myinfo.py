"""Mock Singpass login and MyInfo person profile (/singpass/v1, /myinfo/v1)."""
from __future__ import annotations

import logging
from datetime import date
from typing import List, Optional

from fastapi import APIRouter, Depends, Path, Request, Security
from fastapi.responses import Response
from pydantic import BaseModel, Field, root_validator, validator
from sqlalchemy import select

from moments.privacy import mask_personal

from moments.rules import nric as nric_rules
from .common import as_caller, caller, children_of, json_response, sessions
from .errors import Problem, domain_error, problems
from .idempotency import HEADER as IDEMPOTENCY_HEADER, KEY_SHAPE
from .models import Address, Person
from .schemas import NRIC, ChildSummary, Mobile, PersonRef
from .security import SCOPES, Citizen, LoginGuard, api_key_scheme, check_api_key, citizen, issue_token, settings_of

log = logging.getLogger("moments.agencies.myinfo")

singpass = APIRouter(prefix="/singpass/v1", tags=["Singpass (mock)"])
myinfo = APIRouter(prefix="/myinfo/v1", tags=["MyInfo"])


class LoginRequest(BaseModel):
    nric: Optional[NRIC] = Field(None, description="Log in as this person (the mock Singpass page)")
    mobile: Optional[Mobile] = Field(
        None, description="Log in as the person with this registered mobile number (SMS channel; needs X-API-Key)")
    scope: Optional[List[str]] = Field(
        None, description="Consented scopes; all of them when omitted", example=sorted(SCOPES))

    @root_validator(skip_on_failure=True)
    def _one_identifier(cls, values):
        if (values.get("nric") is None) == (values.get("mobile") is None):
            raise domain_error("validation_failed", "Give exactly one of 'nric' or 'mobile'.")
        return values

    @validator("scope")
    def _known_scopes(cls, value):
        if value is not None:
            unknown = sorted(set(value) - set(SCOPES))
            if unknown or not value:
                raise domain_error("scope_invalid", f"Unknown or empty scope; known scopes: {', '.join(sorted(SCOPES))}.")
        return value


class LoginPerson(BaseModel):
    id: str
    name: str


class LoginResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(..., description="Seconds until the token expires")
    scope: List[str]
    person: LoginPerson


@singpass.post("/login", response_model=LoginResponse, responses=problems(401, 404, 422, 429),
               summary="Log in as a seeded person; returns a short-lived signed token")
def login(body: LoginRequest, request: Request, api_key: Optional[str] = Security(api_key_scheme)) -> Response:
    """Mock Singpass. By NRIC (what the web page does) or by registered mobile number (what the SMS channel does
    for a sender; that needs the channel's `X-API-Key`). Creates nothing, so a retry is harmless: an
    `Idempotency-Key` is accepted, but tokens are never stored, so a retry gets a fresh token.

    Brute force is stopped (security.LoginGuard): 5 failed attempts per NRIC, mobile or client address lock it for
    15 minutes, and an address gets 20 attempts a minute; then 429 `login_rate_limited` with Retry-After."""
    settings = settings_of(request)
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is not None and not KEY_SHAPE.match(key):
        raise Problem("idempotency_key_invalid", "Idempotency-Key must be 1-255 printable ASCII characters without spaces.")
    if body.mobile is not None:
        check_api_key(settings, api_key)
        trusted = True
    else:
        try:
            trusted = bool(api_key) and bool(check_api_key(settings, api_key))
        except Problem:
            trusted = False
    guard = LoginGuard.of(request)
    guarded = guard.keys(request, f"nric:{body.nric}" if body.nric is not None else f"mobile:{body.mobile}", trusted)
    guard.check(guarded)
    with sessions(request)() as s:
        if body.nric is not None:
            person = s.execute(select(Person).where(Person.nric == body.nric)).scalar_one_or_none()
            method, who = "nric", body.nric
        else:
            person = s.execute(select(Person).where(Person.mobile == body.mobile)).scalar_one_or_none()
            method, who = "mobile", body.mobile
    if person is None:
        locked = guard.failed(guarded)
        log.info("singpass login failed: no person for %s%s", mask_personal(str(who)),
                 " (now locked out)" if locked else "")
        raise Problem("person_not_found", "No one with that NRIC/FIN or registered mobile number.")
    scopes = sorted(body.scope or SCOPES)
    token, ttl = issue_token(settings, person.id, scopes, method)
    log.info("singpass login %s by %s scopes=%s", person.nric, method, ",".join(scopes))
    return json_response(LoginResponse(access_token=token, expires_in=ttl, scope=scopes,
                                       person=LoginPerson(id=person.id, name=person.name)))


class AddressOut(BaseModel):
    line: str = Field(..., example="406 Ang Mo Kio Avenue 10, #08-1234")
    postal_code: str = Field(..., example="560406")


class PersonProfile(BaseModel):
    id: str
    nric: str
    name: str
    sex: str = Field(..., description="F or M")
    date_of_birth: date
    nationality: str = Field(..., description="ISO 3166-1 alpha-2, e.g. SG")
    residential_status: str = Field(..., description="citizen | permanent_resident | foreigner")
    marital_status: str = Field(..., description="single | married | divorced | widowed")
    spouse: Optional[PersonRef]
    mobile: Optional[str] = Field(None, example="+6591234567")
    address: Optional[AddressOut] = Field(None, description="Registered residential address, when MyInfo has one")
    mother: Optional[PersonRef]
    father: Optional[PersonRef]
    children: List[ChildSummary]


def _address(s, p: Person) -> Optional[AddressOut]:
    """The person's address; a child's is the mother's (else the father's)."""
    for pid in (p.id, p.mother_id, p.father_id):
        a = s.get(Address, pid) if pid else None
        if a is not None:
            return AddressOut(line=a.line, postal_code=a.postal_code)
    return None


def _profile(s, p: Person) -> PersonProfile:
    ref = lambda pid: PersonRef.of(s.get(Person, pid)) if pid else None  # noqa: E731
    return PersonProfile(
        id=p.id, nric=p.nric, name=p.name, sex=p.sex, date_of_birth=p.date_of_birth, nationality=p.nationality,
        residential_status=p.residential_status, marital_status=p.marital_status, spouse=ref(p.spouse_id),
        mobile=p.mobile, address=_address(s, p), mother=ref(p.mother_id), father=ref(p.father_id),
        children=[ChildSummary.of(c) for c in children_of(s, p.id)],
    )


@myinfo.get("/person", response_model=PersonProfile, responses=problems(401, 403),
            summary="The logged-in person's profile")
def my_profile(request: Request, who: Citizen = Depends(citizen("myinfo.person"))) -> Response:
    with sessions(request)() as s:
        return json_response(_profile(s, caller(s, who.person_id)))


@myinfo.get("/person/{nric}", response_model=PersonProfile, responses=problems(401, 403, 404, 422),
            summary="A profile by NRIC: your own, or one of your children's")
def profile_by_nric(request: Request, nric: str = Path(..., example="S1234567D"),
                    who: Citizen = Depends(citizen("myinfo.person"))) -> Response:
    if not nric_rules.is_valid(nric):
        raise Problem("nric_invalid", "Not a valid NRIC/FIN: the check letter does not match.")
    with as_caller(request, who) as (s, me):
        target = s.execute(select(Person).where(Person.nric == nric_rules.normalise(nric))).scalar_one_or_none()
        if target is None or (target.id != me.id and me.id not in (target.mother_id, target.father_id)):
            log.info("myinfo: %s asked for someone else's profile", me.nric)
            raise Problem("not_authorised", "You can see your own profile and your children's only.")
        return json_response(_profile(s, target))
