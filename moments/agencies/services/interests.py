"""ECDA: registering and withdrawing interest in a preschool.

One active registration (submitted, waitlisted or offered) per child and centre, whichever parent made it: a
partial unique index holds it under races, and the check before it names the existing reference. A level with no
free place puts the child on the waitlist; the position comes from one guarded UPDATE of the level's counter, so
racing registrations get distinct positions. Cancelling is a conditional UPDATE on the status, and a waitlisted
child leaves the waitlist.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import clock
from ..common import caller, children_of, new_reference, own_child
from ..errors import Problem
from ..models import PreschoolCentre, PreschoolInterest, PreschoolVacancy
from ..preschool_fees import default_programme, service_for

if TYPE_CHECKING:
    from ..preschools import InterestRequest

log = logging.getLogger("moments.agencies.ecda")

ACTIVE = ("submitted", "waitlisted", "offered")


def register(s: Session, person_id: str, body: "InterestRequest") -> PreschoolInterest:
    from ..preschools import centre_or_404, level_of_child, parse_start_month

    me = caller(s, person_id)
    child = own_child(s, me.id, body.child_id)
    centre: PreschoolCentre = centre_or_404(s, body.centre_id)
    start = parse_start_month(body.start_month)
    level = level_of_child(child, start)
    services, programmes = centre.services.split(","), centre.programmes.split(",")
    service = service_for(level, services, centre.operator_kind)
    if service is None:
        raise Problem("level_not_offered", f"{centre.name} does not take children at level {level}.", level=level)
    programme = body.programme or default_programme(service, programmes)
    if programme not in programmes or (service == "kindergarten" and programme != "half_day"):
        raise Problem("level_not_offered", f"{centre.name} does not offer a {str(programme).replace('_', ' ')} "
                      f"programme for {level}.", level=level)
    existing = s.execute(select(PreschoolInterest).where(
        PreschoolInterest.child_id == child.id, PreschoolInterest.centre_id == centre.id,
        PreschoolInterest.status.in_(ACTIVE))).scalar_one_or_none()
    if existing is not None:
        raise Problem("interest_exists", f"{child.name} is already registered at {centre.name} "
                      f"({existing.reference}).", interest_reference=existing.reference)
    vacancy = s.execute(select(PreschoolVacancy).where(PreschoolVacancy.centre_id == centre.id,
                                                       PreschoolVacancy.level == level)).scalar_one_or_none()
    status, position = "submitted", None
    if vacancy is None or vacancy.vacancies <= 0:
        status = "waitlisted"
        if vacancy is not None:
            s.execute(update(PreschoolVacancy).where(PreschoolVacancy.id == vacancy.id)
                      .values(waitlist=PreschoolVacancy.waitlist + 1).execution_options(synchronize_session=False))
            position = s.execute(select(PreschoolVacancy.waitlist).where(PreschoolVacancy.id == vacancy.id)).scalar()
        else:
            position = 1
    now = clock.now()
    interest = PreschoolInterest(reference=new_reference("PS"), child_id=child.id, centre_id=centre.id,
                                 registered_by_id=me.id, level=level, programme=programme, start_month=start,
                                 status=status, waitlist_position=position, created_at=now, updated_at=now)
    # Read before the insert: a failed flush rolls the transaction back and expires every loaded object.
    refused = f"{child.name} is already registered at {centre.name}."
    try:
        s.add(interest)
        s.flush()
    except IntegrityError:  # a racing request registered the same child at the same centre first
        raise Problem("interest_exists", refused) from None
    log.info("interest %s: child %s at %s from %s (%s)", interest.reference, child.nric, centre.id,
             start.isoformat(), status)
    return interest


def cancel(s: Session, person_id: str, reference: str) -> PreschoolInterest:
    me = caller(s, person_id)
    interest = mine(s, me.id, reference)
    if interest.status not in ACTIVE:
        raise Problem("interest_closed", f"Registration {interest.reference} is already {interest.status}.")
    was = interest.status
    done = s.execute(
        update(PreschoolInterest).where(PreschoolInterest.id == interest.id, PreschoolInterest.status == was)
        .values(status="cancelled", updated_at=clock.now()).execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise Problem("interest_closed", f"Registration {interest.reference} was changed a moment ago.")
    if was == "waitlisted":
        s.execute(update(PreschoolVacancy).where(PreschoolVacancy.centre_id == interest.centre_id,
                                                 PreschoolVacancy.level == interest.level,
                                                 PreschoolVacancy.waitlist > 0)
                  .values(waitlist=PreschoolVacancy.waitlist - 1).execution_options(synchronize_session=False))
    s.expire(interest)
    log.info("interest %s cancelled", interest.reference)
    return interest


def reply(s: Session, reference: str, status: str) -> PreschoolInterest:
    """The centre's answer (admin route, for tests and demos): offered, waitlisted or declined."""
    interest = s.execute(select(PreschoolInterest).where(
        PreschoolInterest.reference == reference.upper())).scalar_one_or_none()
    if interest is None:
        raise Problem("interest_not_found", "No registration of interest has that reference.")
    if interest.status not in ACTIVE:
        raise Problem("interest_closed", f"Registration {interest.reference} is {interest.status}.")
    interest.status, interest.updated_at = status, clock.now()
    if status != "waitlisted":
        interest.waitlist_position = None
    s.flush()
    log.info("interest %s: centre replied %s", interest.reference, status)
    return interest


def mine(s: Session, me_id: str, reference: str) -> PreschoolInterest:
    child_ids = [c.id for c in children_of(s, me_id)]
    found = s.execute(select(PreschoolInterest).where(PreschoolInterest.reference == reference.upper(),
                                                      PreschoolInterest.child_id.in_(child_ids))).scalar_one_or_none()
    if found is None:
        raise Problem("interest_not_found", "None of your children's registrations of interest has that reference.")
    return found
