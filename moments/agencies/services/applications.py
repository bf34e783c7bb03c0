"""MSF: a child's Baby Bonus position, and joining the scheme.

`apply` checks, in order: the child is the caller's (`child_not_found`); it has no application yet
(`application_exists`, with `application_reference`); it is eligible (`not_eligible`, with `reasons`); the CDA
trustee is a parent (`cda_trustee_invalid`). Amounts and eligibility are moments.rules.baby_bonus's.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moments.rules import baby_bonus as rules

from .. import clock
from ..common import caller, new_reference, own_child
from ..errors import Problem
from ..models import BabyBonusApplication, Person

if TYPE_CHECKING:
    from ..baby_bonus import ApplicationRequest

log = logging.getLogger("moments.agencies.msf")


def apply(s: Session, person_id: str, body: "ApplicationRequest") -> BabyBonusApplication:
    me = caller(s, person_id)
    child = own_child(s, me.id, body.child_id)
    existing = application_for(s, child.id)
    if existing is not None:
        raise Problem("application_exists", f"This child already has Baby Bonus application {existing.reference}.",
                      application_reference=existing.reference)
    a = assess_child(s, child, clock.today())
    if not a.eligible:
        raise Problem("not_eligible", "The child is not eligible: " + ", ".join(a.reasons) + ".", reasons=a.reasons)
    trustee = s.execute(select(Person).where(Person.nric == body.cda_trustee_nric)).scalar_one_or_none()
    if trustee is None or trustee.id not in (child.mother_id, child.father_id):
        raise Problem("cda_trustee_invalid", "The CDA trustee must be the child's mother or father.")
    app = BabyBonusApplication(
        reference=new_reference("BB"), child_id=child.id, applicant_id=me.id, bank=body.bank,
        account_last4=body.bank_account_number[-4:], cda_trustee_id=trustee.id, status="approved",
        created_at=clock.now(),
    )
    try:
        s.add(app)
        s.flush()
    except IntegrityError:
        raise Problem("application_exists", "This child's application was submitted a moment ago.") from None
    log.info("baby bonus %s for child %s by %s", app.reference, child.nric, me.nric)
    return app


def application_for(s: Session, child_id: str) -> Optional[BabyBonusApplication]:
    return s.execute(select(BabyBonusApplication).where(BabyBonusApplication.child_id == child_id)).scalar_one_or_none()


def _key(p: Person) -> tuple:
    return (p.born_at or datetime.combine(p.date_of_birth, time()), p.id)


def assess_child(s: Session, child: Person, today: date) -> rules.Assessment:
    """Birth order counts the mother's children (the father's when no mother is recorded), older first."""
    parent_col, parent_id = ((Person.mother_id, child.mother_id) if child.mother_id else (Person.father_id, child.father_id))
    siblings = [] if parent_id is None else [
        _key(p) for p in s.execute(select(Person).where(parent_col == parent_id, Person.id != child.id)).scalars()
    ]
    if child.parents_married is not None:
        married = child.parents_married
    else:
        mother = s.get(Person, child.mother_id) if child.mother_id else None
        married = bool(mother and child.father_id and mother.spouse_id == child.father_id)
    return rules.assess(child.date_of_birth, rules.birth_order(_key(child), siblings),
                        citizen=child.residential_status == "citizen", parents_married=married, today=today)
