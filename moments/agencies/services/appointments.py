"""Health: booking, moving and cancelling polyclinic appointments.

A slot moves from free to booked in one guarded UPDATE (`claim_slot`): of any number of racing requests exactly one
wins, the others get `slot_taken`. A child has one upcoming appointment per service (`appointment_exists`); moving
keeps the service (`service_mismatch`) and frees the old slot in the same transaction.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Optional

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import clock
from ..common import caller, children_of, new_reference, own_child
from ..errors import Problem
from ..models import Appointment, Slot

if TYPE_CHECKING:
    from ..health import BookRequest

log = logging.getLogger("moments.agencies.health")


def book(s: Session, person_id: str, body: "BookRequest") -> Appointment:
    me = caller(s, person_id)
    child = own_child(s, me.id, body.child_id)
    name = child.name  # read now: after a failed flush the session cannot load it (a 500 instead of the 409)
    slot = open_slot(s, body.slot_id)
    reference = new_reference("AP")
    claim_slot(s, slot.id, reference)
    now = clock.now()
    for other in s.execute(select(Appointment).where(
            Appointment.child_id == child.id, Appointment.service == slot.service,
            Appointment.status == "booked")).scalars():
        if s.get(Slot, other.slot_id).starts_at <= now:
            other.status, other.updated_at = "attended", now  # a past booking no longer blocks a new one
        else:
            raise Problem("appointment_exists",
                          f"{name} already has appointment {other.reference}; reschedule it instead.",
                          appointment_reference=other.reference)
    appt = Appointment(reference=reference, child_id=child.id, booked_by_id=me.id, slot_id=slot.id,
                       service=slot.service, status="booked", reschedule_count=0, created_at=now, updated_at=now)
    try:
        s.add(appt)
        s.flush()
    except IntegrityError:
        raise Problem("appointment_exists", f"{name} already has an appointment for this service.") from None
    log.info("booked %s: child %s at %s %s", reference, child.nric, slot.clinic_id, slot.starts_at.isoformat())
    return appt


def reschedule(s: Session, person_id: str, reference: str, slot_id: int) -> Appointment:
    me = caller(s, person_id)
    appt = mine(s, me.id, reference)
    if appt.status != "booked":
        raise Problem("appointment_cancelled" if appt.status == "cancelled" else "appointment_past",
                      f"Appointment {appt.reference} is {appt.status}; book a new one instead.")
    old = s.get(Slot, appt.slot_id)
    now = clock.now()
    if old.starts_at <= now:
        raise Problem("appointment_past", f"Appointment {appt.reference} has already taken place.")
    new = open_slot(s, slot_id)
    if new.id == old.id:
        raise Problem("slot_unchanged", "That is the appointment's current slot.")
    if new.service != appt.service:
        raise Problem("service_mismatch", f"Choose a {appt.service.replace('_', ' ')} slot.")
    moved = s.execute(
        update(Appointment)
        .where(Appointment.id == appt.id, Appointment.slot_id == old.id, Appointment.status == "booked")
        .values(slot_id=new.id, reschedule_count=Appointment.reschedule_count + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise Problem("appointment_changed", "The appointment was changed by another request; fetch it again.")
    claim_slot(s, new.id, appt.reference)
    release_slot(s, old.id, appt.reference)
    s.expire(appt)
    log.info("rescheduled %s to %s %s", appt.reference, new.clinic_id, new.starts_at.isoformat())
    return appt


def cancel(s: Session, person_id: str, reference: str, reason: Optional[str]) -> Appointment:
    me = caller(s, person_id)
    appt = mine(s, me.id, reference)
    if appt.status == "cancelled":
        raise Problem("appointment_cancelled", f"Appointment {appt.reference} is already cancelled.")
    if appt.status != "booked" or s.get(Slot, appt.slot_id).starts_at <= clock.now():
        raise Problem("appointment_past", f"Appointment {appt.reference} has already taken place.")
    done = s.execute(
        update(Appointment).where(Appointment.id == appt.id, Appointment.status == "booked")
        .values(status="cancelled", cancel_reason=reason, updated_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise Problem("appointment_cancelled", f"Appointment {appt.reference} was cancelled a moment ago.")
    release_slot(s, appt.slot_id, appt.reference)
    s.expire(appt)
    log.info("cancelled %s", appt.reference)
    return appt


def claim_slot(s, slot_id: int, reference: str) -> None:
    """The atomic step: exactly one request can move a slot from free to booked."""
    claimed = s.execute(
        update(Slot).where(Slot.id == slot_id, Slot.booked_by.is_(None)).values(booked_by=reference)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise Problem("slot_taken", "Someone has just booked that slot; please choose another.", slot_id=slot_id)


def release_slot(s, slot_id: int, reference: str) -> None:
    s.execute(update(Slot).where(Slot.id == slot_id, Slot.booked_by == reference).values(booked_by=None)
              .execution_options(synchronize_session=False))


def open_slot(s, slot_id: int) -> Slot:
    slot = s.get(Slot, slot_id)
    if slot is None:
        raise Problem("slot_not_found", "There is no slot with that id; see GET /health/v1/clinics/{id}/slots.")
    if slot.starts_at <= clock.now():
        raise Problem("slot_in_past", "That slot has already started; please choose a later one.")
    return slot


def mine(s, me_id: str, reference: str) -> Appointment:
    child_ids = [c.id for c in children_of(s, me_id)]
    a = s.execute(select(Appointment).where(Appointment.reference == reference.upper(),
                                            Appointment.child_id.in_(child_ids))).scalar_one_or_none()
    if a is None:
        raise Problem("appointment_not_found", "None of your children's appointments has that reference.")
    return a
