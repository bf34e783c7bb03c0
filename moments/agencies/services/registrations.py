"""ICA: registering a birth from the hospital's notification of live birth.

`register` checks, in order: the notification exists (`notification_not_found`); the caller is its mother or father
(`not_a_parent`); it is not registered yet (`already_registered`); within 42 days of birth (`registration_late`);
every detail matches it (`notification_mismatch`, with `mismatches`); the marital status matches ICA's records
(`marital_status_mismatch`, `father_required`). Then it creates the child, the registration and the doses given at
birth in the caller's transaction.
"""
from __future__ import annotations

import logging
import secrets
import uuid
from datetime import date, timedelta
from typing import TYPE_CHECKING, List, Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moments.rules import birth as birth_rules
from moments.rules import nric as nric_rules

from .. import clock
from ..common import caller, new_reference
from ..errors import Problem
from ..immunisation import AT_BIRTH
from ..models import BirthRegistration, Hospital, ImmunisationRecord, LiveBirthNotification, Person

if TYPE_CHECKING:
    from ..births import RegistrationRequest

log = logging.getLogger("moments.agencies.ica")


def register(s: Session, person_id: str, body: "RegistrationRequest") -> BirthRegistration:
    me = caller(s, person_id)
    n = notification_of(s, body.enlb_number)
    if me.id not in (n.mother_id, n.father_id):
        raise Problem("not_a_parent", "Only the child's mother or father can register this birth.")
    ensure_not_registered(s, n)
    born_on = n.born_at.date()
    ensure_in_time(born_on, clock.today())
    mother = s.get(Person, n.mother_id)
    father = s.get(Person, n.father_id) if n.father_id else None
    hospital = s.get(Hospital, n.hospital_code)
    mismatches = details_differing(body, n, mother, father, hospital)
    if mismatches:
        raise Problem("notification_mismatch",
                      "These details differ from the hospital's notification: " + ", ".join(mismatches) + ".",
                      mismatches=mismatches)
    married = body.parents_marital_status == "married"
    ensure_marital_status(married, body.father_nric is not None, mother, father)
    father_on_certificate = father if body.father_nric is not None else None
    child = new_child(s, n, body.child_name, mother, father_on_certificate, married)
    ethnic = birth_rules.clean_ethnic_name(body.child_ethnic_name) if body.child_ethnic_name else (None, None)
    now = clock.now()
    reg = BirthRegistration(
        reference=new_reference("BR"), notification_id=n.id, child_id=child.id, child_name=body.child_name,
        child_ethnic_name=ethnic[0], ethnic_script=ethnic[1], mother_id=mother.id,
        father_id=child.father_id, parents_married=married, mother_dialect=body.mother_dialect,
        father_dialect=body.father_dialect, registered_by_id=me.id, fee_cents=birth_rules.FEE_CENTS,
        created_at=now, certificate_expires_at=now + timedelta(days=birth_rules.CERTIFICATE_VALID_DAYS),
    )
    try:
        s.add(child)
        s.flush()
        s.add(reg)
        s.add_all(ImmunisationRecord(child_id=child.id, dose_code=d.code, given_on=born_on, place=hospital.name)
                  for d in AT_BIRTH)
        s.flush()
    except IntegrityError:
        raise Problem("already_registered", "This birth was registered a moment ago by another request.") from None
    log.info("registered birth %s: child %s, mother %s, by %s", reg.reference, child.nric, mother.nric, me.nric)
    return reg


def notification_of(s: Session, enlb_number: str) -> LiveBirthNotification:
    n = s.execute(select(LiveBirthNotification).where(LiveBirthNotification.enlb_number == enlb_number)
                  ).scalar_one_or_none()
    if n is None:
        raise Problem("notification_not_found", "There is no notification of live birth with that number. "
                      "Check the number on the hospital's notification.")
    return n


def ensure_not_registered(s: Session, n: LiveBirthNotification) -> None:
    existing = s.execute(select(BirthRegistration.reference).where(BirthRegistration.notification_id == n.id)).scalar()
    if existing:
        raise Problem("already_registered", f"This birth was already registered as {existing}.",
                      registration_reference=existing)


def ensure_in_time(born_on: date, today: date) -> None:
    deadline = birth_rules.registration_deadline(born_on)
    if birth_rules.is_late(born_on, today):
        raise Problem(
            "registration_late",
            f"Online registration closed on {deadline.isoformat()}, 42 days after the birth. Please contact ICA "
            "to register the birth late, with the notification of live birth and both parents' identity cards.",
            deadline=deadline.isoformat(), days_since_birth=birth_rules.days_since_birth(born_on, today),
        )


def details_differing(body: "RegistrationRequest", n: LiveBirthNotification, mother: Person,
                      father: Optional[Person], hospital: Hospital) -> List[str]:
    """The fields of the request that differ from the hospital's notification."""
    mismatches = []
    if body.date_of_birth != n.born_at.date():
        mismatches.append("date_of_birth")
    if body.time_of_birth != n.born_at.strftime("%H:%M"):
        mismatches.append("time_of_birth")
    if body.sex != n.sex:
        mismatches.append("sex")
    if " ".join(body.hospital.split()).lower() not in (hospital.code.lower(), hospital.name.lower()):
        mismatches.append("hospital")
    if body.mother_nric != mother.nric:
        mismatches.append("mother_nric")
    if body.father_nric is not None and (father is None or body.father_nric != father.nric):
        mismatches.append("father_nric")
    return mismatches


def ensure_marital_status(married: bool, father_given: bool, mother: Person, father: Optional[Person]) -> None:
    married_on_record = father is not None and mother.spouse_id == father.id and mother.marital_status == "married"
    if married and not father_given:
        raise Problem("father_required", "When the parents are married, give the father's NRIC/FIN too.")
    if married != married_on_record:
        raise Problem("marital_status_mismatch", "ICA's records show the parents as "
                      + ("married" if married_on_record else "not married to each other") + ".")


def new_child(s: Session, n: LiveBirthNotification, name: str, mother: Person, father: Optional[Person],
              married: bool) -> Person:
    """The child as a person, with a birth certificate number and citizenship by ICA's rules."""
    born_on = n.born_at.date()
    status = birth_rules.child_citizenship(mother.residential_status == "citizen",
                                           father is not None and father.residential_status == "citizen", married)
    return Person(
        id=str(uuid.uuid4()), nric=new_birth_certificate_number(s, born_on), name=name, sex=n.sex,
        date_of_birth=born_on, nationality="SG" if status == "citizen" else mother.nationality,
        residential_status="citizen" if status == "citizen" else "foreigner", marital_status="single",
        mother_id=mother.id, father_id=father.id if father else None, born_at=n.born_at, parents_married=married,
        created_at=clock.now(),
    )


def new_birth_certificate_number(s: Session, born_on: date) -> str:
    for _ in range(20):
        number = nric_rules.make("T", f"{born_on.year % 100:02d}{secrets.randbelow(100000):05d}")
        if s.execute(select(Person.id).where(Person.nric == number)).first() is None:
            return number
    raise RuntimeError("could not allocate a birth certificate number")
