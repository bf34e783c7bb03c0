"""Types and response shapes shared by the agencies' routes (pydantic v1, as Rasa pins it)."""
from __future__ import annotations

import re
from datetime import date
from typing import Optional

from pydantic import BaseModel, Field

from moments.rules import nric as nric_rules
from .errors import domain_error
from .models import Person

NRIC_PATTERN = r"^\s*[STFGMstfgm][0-9]{7}[A-Za-z]\s*$"
MOBILE_DIGITS = re.compile(r"^(?:\+?65)?([89][0-9]{7})$")


class NRIC(str):
    """An NRIC/FIN with a valid check letter, normalised to upper case ('s1234567d' -> 'S1234567D')."""

    @classmethod
    def __get_validators__(cls):
        yield cls.validate

    @classmethod
    def __modify_schema__(cls, schema: dict) -> None:
        schema.update(type="string", pattern=NRIC_PATTERN, minLength=9, maxLength=11, example="S1234567D",
                      description="NRIC/FIN: prefix S/T/F/G/M, 7 digits, check letter")

    @classmethod
    def validate(cls, value) -> "NRIC":
        if not isinstance(value, str):
            raise domain_error("nric_invalid", "An NRIC/FIN is a string such as S1234567D.")
        if not nric_rules.is_valid(value):
            raise domain_error("nric_invalid", "Not a valid NRIC/FIN: the check letter does not match.")
        return cls(nric_rules.normalise(value))


class Mobile(str):
    """A Singapore mobile number (8 digits starting 8 or 9), normalised to E.164: '+6591234567'."""

    @classmethod
    def __get_validators__(cls):
        yield cls.validate

    @classmethod
    def __modify_schema__(cls, schema: dict) -> None:
        schema.update(type="string", maxLength=20, example="+6591234567",
                      description="Singapore mobile number; '+65 9123 4567', '6591234567' and '91234567' are accepted")

    @classmethod
    def validate(cls, value) -> "Mobile":
        digits = re.sub(r"[\s-]", "", value) if isinstance(value, str) else ""
        m = MOBILE_DIGITS.match(digits)
        if not m:
            raise domain_error("mobile_invalid", "A Singapore mobile number has 8 digits and starts with 8 or 9.")
        return cls("+65" + m.group(1))


class PersonRef(BaseModel):
    id: str = Field(..., description="Opaque, stable person id")
    nric: str
    name: str

    @classmethod
    def of(cls, p: Person) -> "PersonRef":
        return cls(id=p.id, nric=p.nric, name=p.name)


class ChildSummary(BaseModel):
    id: str = Field(..., description="Opaque child id: use it in /msf and /health child routes")
    birth_certificate_number: str
    name: str
    sex: str
    date_of_birth: date
    time_of_birth: Optional[str] = Field(None, example="08:42")
    residential_status: str

    @classmethod
    def of(cls, p: Person) -> "ChildSummary":
        return cls(id=p.id, birth_certificate_number=p.nric, name=p.name, sex=p.sex, date_of_birth=p.date_of_birth,
                   time_of_birth=p.born_at.strftime("%H:%M") if p.born_at else None,
                   residential_status=p.residential_status)
