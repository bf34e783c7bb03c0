"""Polyclinic appointments: book, reschedule, cancel and list a child's vaccination or screening appointments.

Three forms share this module (domain/appointments.yml):

- book_appointment_form: myinfo_consent → appointment_child (skipped with one child) → appointment_service →
  appointment_clinic (name in any language, short form or postal code) → appointment_date (natural language) →
  appointment_slot (up to 5 free times on/after that date) → confirm_submission (summary; "yes" books).
- reschedule_appointment_form: appointment_pick (skipped with one upcoming appointment) → appointment_date →
  appointment_slot → confirm_submission.
- cancel_appointment_form: appointment_pick → confirm_submission.

Reschedule and cancel read no MyInfo data (only the Health agency's own appointments of the logged-in parent's
children), so they do not ask for MyInfo consent. Nothing typed by the user identifies a person: the children and
appointments come from the agencies for the token in the channel metadata.

The agency call is made in validate_confirm_submission; the result is stored in `appointment_result`, which the
form's done-action shows before it resets the journey's slots. An outage keeps every answer and asks to confirm
again (same idempotency key, so a retry never books twice); a slot taken meanwhile offers the next free ones.

Inside a form a bare "取消" / "batal" / "ரத்து" stops it even when the classifier reads it as cancel_appointment, and
a short answer the classifier took for a digression ("宏茂桥" as `stop`) still answers the question when it plainly
does (a clinic, a day, a time, a choice). Beside this file: answers.py reads what parents type and shapes the
agency's appointments, clinic_search.py finds the clinic meant, actions.py asks the questions with buttons, shows
the summaries and the results; vaccinations.py answers "which jabs are due?".
"""
from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.appointments import clinic_search
from actions.appointments.answers import (
    REFERENCE, SERVICE_WORDS, change_request, child_mentioned, choice_number, picked_appointment, summarise,
)
from actions.appointments.clinic_search import ClinicDirectory
from actions.shared import clock
from actions.shared.agency import agencies, call, idempotency_key, identify, outcome_unknown, \
    report_agency_error
from actions.shared.form import JourneyForm, is_retryable
from actions.shared.labels import SERVICES
from actions.shared.tracker import answered_just_before, forget, trigger_text
from moments.agency_client.client import AgencyError
from moments.agency_client.codes import Code
from moments.dates import parse_date
from moments.text.formatting import format_date, parse_time, to_sgt
from moments.text.languages import language_of
from moments.text.vocab import is_stop as is_stop_word
from moments.text.words import has_stem as has_any

logger = logging.getLogger(__name__)

SLOTS_OFFERED = 5          # free times offered at once
SEARCH_DAYS = 13           # look this many days past the chosen date for free times
BOOKING_HORIZON_DAYS = 55  # polyclinics open their books 8 weeks ahead

# Every slot the three forms fill or keep; the done- and reset-actions clear them all.
JOURNEY_SLOTS = (
    "appointment_children", "appointment_child", "appointment_service", "appointment_clinic",
    "appointment_clinic_choices", "appointment_date", "appointment_slot", "appointment_offered_slots",
    "appointment_upcoming", "appointment_pick", "appointment_changing", "appointment_result",
    "confirm_submission", "failed_tries", "journey_aborted",
)

# --- what the three forms share -----------------------------------------------------------------------------------

class AppointmentFormValidation(JourneyForm):
    """Stop words, picking a date and one of the free times offered, and the agency errors of appointments."""

    SLOTS = JOURNEY_SLOTS
    journey_intents: tuple = ()
    # Answers of this journey; a new start forgets any left from an unfinished one (consent is kept).
    stale_on_start: tuple = ("appointment_child", "appointment_service", "appointment_clinic",
                             "appointment_clinic_choices", "appointment_date", "appointment_slot",
                             "appointment_offered_slots", "appointment_pick", "appointment_upcoming",
                             "appointment_children", "appointment_changing", "appointment_result",
                             "confirm_submission")

    async def before_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       activating: bool) -> List[Dict[Text, Any]]:
        events: List[Dict[Text, Any]] = []
        if activating:  # starting: nothing left from an earlier, unfinished journey counts
            stale = [s for s in self.stale_on_start if tracker.get_slot(s) is not None]
            forget(tracker, stale)
            events += [SlotSet(s, None) for s in stale]
        if not tracker.get_slot("journey_aborted"):
            before = await self.before_validation(dispatcher, tracker, activating=activating)
            prefill = [SlotSet(k, v) for k, v in before.items()]
            tracker.add_slots(prefill)  # validated like answers (the validators accept canonical values)
            events += prefill
        return events

    async def before_validation(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                activating: bool) -> Dict[Text, Any]:
        """Slot candidates known before the user is asked (they go through the validators)."""
        return {}

    async def answers(self, slot: str, text: str, tracker: Tracker) -> bool:
        """Whether `text` unmistakably answers the question for `slot` (a clinic, a day, a time, a choice)."""
        if not text or is_stop_word(text) or text.startswith("/"):
            return False
        if slot == "appointment_clinic":
            try:
                clinics = await ClinicDirectory.all()
            except AgencyError:
                return False
            return bool(clinic_search.postal_code_in(text)) or clinic_search.find(text, clinics).found
        if slot == "appointment_date":
            return parse_date(text, clock.today(), prefer="future") is not None
        if slot == "appointment_slot":
            offered = tracker.get_slot("appointment_offered_slots") or []
            return choice_number(text, len(offered), in_time_order=True) is not None or parse_time(text) is not None
        if slot == "appointment_pick":
            upcoming = tracker.get_slot("appointment_upcoming") or []
            return bool(REFERENCE.search(text)) or choice_number(text, len(upcoming), in_time_order=True) is not None
        if slot == "appointment_child":
            children = tracker.get_slot("appointment_children") or []
            return choice_number(text, len(children)) is not None or child_mentioned(text, children) is not None
        return False

    # -- where and what the date/slot questions are about (book: the chosen clinic; reschedule: the appointment)
    def clinic_and_service(self, tracker: Tracker) -> tuple:
        raise NotImplementedError

    # -- date --------------------------------------------------------------------------------------------------
    async def check_date(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        """A date in natural language → the free times on/after it, or a localised reason why not."""
        today = clock.today()
        day: Optional[date]
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            day = parse_date(str(value or ""), today, prefer="future")
        if day is None:
            return self.reject("appointment_date", "utter_appointment_date_unclear", dispatcher, tracker)
        lang = language_of(tracker)
        if day < today:
            return self.reject("appointment_date", "utter_appointment_date_past", dispatcher, tracker,
                               date=format_date(day, lang))
        last = today + timedelta(days=BOOKING_HORIZON_DAYS)
        if day > last:
            return self.reject("appointment_date", "utter_appointment_date_too_far", dispatcher, tracker,
                               date=format_date(day, lang), last_date=format_date(last, lang))
        clinic_id, service = self.clinic_and_service(tracker)
        try:
            free = await call(agencies().health.slots, clinic_id, service=service, date_from=day.isoformat(),
                              date_to=min(day + timedelta(days=SEARCH_DAYS), last).isoformat(),
                              limit=SLOTS_OFFERED)
        except AgencyError as err:
            report_agency_error(dispatcher, err)
            return {"appointment_date": None}
        if not free:
            return self.reject("appointment_date", "utter_no_free_slots", dispatcher, tracker,
                               date=format_date(day, lang))
        offered = [{"id": s["id"], "starts_at": s["starts_at"]} for s in free]
        return self.accept("appointment_date", day.isoformat(), tracker, appointment_offered_slots=offered,
                           appointment_slot=None)

    async def validate_appointment_date(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: Dict) -> Dict[Text, Any]:
        return await self.check_date(value, dispatcher, tracker)

    # -- slot --------------------------------------------------------------------------------------------------
    async def validate_appointment_slot(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: Dict) -> Dict[Text, Any]:
        offered = tracker.get_slot("appointment_offered_slots") or []
        if isinstance(value, int) and value in {s["id"] for s in offered}:
            return self.accept("appointment_slot", value, tracker)
        index = choice_number(value, len(offered), in_time_order=True)
        if index is not None:
            return self.accept("appointment_slot", offered[index]["id"], tracker)
        wanted = parse_time(str(value))
        if wanted:
            day = parse_date(str(value), clock.today(), prefer="future")
            for s in offered:
                at = to_sgt(s["starts_at"])
                if (at.hour, at.minute) == wanted and (day is None or at.date() == day):
                    return self.accept("appointment_slot", s["id"], tracker)
            return self.reject("appointment_slot", "utter_appointment_slot_not_offered", dispatcher, tracker)
        if parse_date(str(value), clock.today(), prefer="future"):  # "got other day?" → "next Friday"
            result = await self.check_date(value, dispatcher, tracker)
            if result.get("appointment_date"):
                return {**result, "appointment_slot": None}
            return {"appointment_slot": None, "failed_tries": result.get("failed_tries",
                                                                          tracker.get_slot("failed_tries"))}
        return self.reject("appointment_slot", "utter_appointment_slot_unclear", dispatcher, tracker)

    def offered_slot(self, tracker: Tracker) -> Optional[dict]:
        slot_id = tracker.get_slot("appointment_slot")
        return next((s for s in tracker.get_slot("appointment_offered_slots") or [] if s["id"] == slot_id), None)

    async def offer_next_slots(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        """The chosen time went to someone else: offer the next free ones from that time on."""
        taken = self.offered_slot(tracker)
        day = to_sgt(taken["starts_at"]).date() if taken else clock.today()
        clinic_id, service = self.clinic_and_service(tracker)
        try:
            free = await call(agencies().health.slots, clinic_id, service=service, date_from=day.isoformat(),
                              date_to=(day + timedelta(days=SEARCH_DAYS)).isoformat(), limit=SLOTS_OFFERED)
        except AgencyError as err:
            report_agency_error(dispatcher, err)
            free = []
        if not free:
            dispatcher.utter_message(response="utter_slot_just_taken_none_left")
            return {"appointment_slot": None, "appointment_date": None, "appointment_offered_slots": None,
                    "confirm_submission": None}
        dispatcher.utter_message(response="utter_slot_just_taken")
        return {"appointment_slot": None, "confirm_submission": None,
                "appointment_offered_slots": [{"id": s["id"], "starts_at": s["starts_at"]} for s in free]}

    @staticmethod
    def change_request(text: str) -> Optional[str]:
        return change_request(text)

    # -- the summary: yes submits, no asks what to change, anything else is read as a change ------------------
    async def validate_confirm_submission(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                          domain: Dict) -> Dict[Text, Any]:
        text = str(value or "")
        answer = None if tracker.get_slot("appointment_changing") else self.yes_or_no(tracker, text)
        if answer is True:
            return await self.submit(dispatcher, tracker)
        if answer is False:
            return {"confirm_submission": None, "appointment_changing": True}
        return await self.correct(text, dispatcher, tracker)

    async def submit(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        raise NotImplementedError

    async def correct(self, text: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        raise NotImplementedError


# --- book -------------------------------------------------------------------------------------------------------------

class ValidateBookAppointmentForm(AppointmentFormValidation):
    journey_intents = ("book_appointment",)

    def name(self) -> Text:
        return "validate_book_appointment_form"

    def clinic_and_service(self, tracker: Tracker) -> tuple:
        return tracker.get_slot("appointment_clinic"), tracker.get_slot("appointment_service") or "vaccination"

    async def before_validation(self, dispatcher, tracker, activating):
        """At the start: the service, clinic and date if the first message said them; once consent is given:
        the children (the only child is picked)."""
        out: Dict[Text, Any] = {}
        if activating:
            text = trigger_text(tracker, self.journey_intents)
            service = next((s for s, words in SERVICE_WORDS.items() if has_any(text, words)), None)
            if service:
                out["appointment_service"] = service
                try:
                    match = clinic_search.find(text, await ClinicDirectory.all())
                except AgencyError:
                    match = clinic_search.ClinicMatch()
                if match.found:
                    out["appointment_clinic"] = match.clinic["id"]
                    day = parse_date(text, clock.today(), prefer="future")
                    if day:
                        out["appointment_date"] = day.isoformat()
            # "book" / "1" right after the vaccinations of one child: a vaccination, for that child unless the
            # message names another (load_children); any other start forgets that child
            explained = tracker.get_slot("vaccination_explained_child")
            if explained and not answered_just_before(tracker, "action_vaccination_status"):
                explained = None
            # "1" on a vaccination reminder (moments/notifier): /book_appointment{"vaccination_child": "<id>"}
            explained = reminded_child(tracker) or explained
            if explained:
                out.setdefault("appointment_service", "vaccination")
            out["vaccination_explained_child"] = tracker.slots["vaccination_explained_child"] = explained
        if tracker.get_slot("myinfo_consent") is True:
            out.update(await self.load_children(dispatcher, tracker))
        return out

    async def load_children(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        if tracker.get_slot("appointment_children") is not None:
            return {}
        identity = await identify(tracker)
        try:
            person = await call(agencies().myinfo.person, identity.token)
        except AgencyError as err:
            report_agency_error(dispatcher, err)
            return {"journey_aborted": True}
        children = [{"id": c["id"], "name": c["name"], "date_of_birth": str(c["date_of_birth"])}
                    for c in person.get("children") or []]
        if not children:
            dispatcher.utter_message(response="utter_no_children")
            return {"appointment_children": [], "journey_aborted": True}
        out: Dict[Text, Any] = {"appointment_children": children}
        if not tracker.get_slot("appointment_child"):
            named = child_mentioned(trigger_text(tracker, self.journey_intents), children) or next(
                (c for c in children if c["id"] == tracker.get_slot("vaccination_explained_child")), None)
            if len(children) == 1 or named:
                out["appointment_child"] = (named or children[0])["id"]
        return out

    async def validate_myinfo_consent(self, value, dispatcher, tracker, domain):
        result = await super().validate_myinfo_consent(value, dispatcher, tracker, domain)
        if result.get("myinfo_consent") is True:
            tracker.slots.update(result)
            result.update(await self.load_children(dispatcher, tracker))
        return result

    # -- child -------------------------------------------------------------------------------------------------
    def validate_appointment_child(self, value, dispatcher, tracker, domain):
        children = tracker.get_slot("appointment_children") or []
        if any(c["id"] == value for c in children):
            return self.accept("appointment_child", value, tracker)
        index = choice_number(value, len(children))
        child = children[index] if index is not None else child_mentioned(str(value), children)
        if child:
            return self.accept("appointment_child", child["id"], tracker)
        return self.reject("appointment_child", "utter_appointment_child_unclear", dispatcher, tracker)

    # -- service -----------------------------------------------------------------------------------------------
    def validate_appointment_service(self, value, dispatcher, tracker, domain):
        if value in SERVICES:
            return self.accept("appointment_service", value, tracker)
        index = choice_number(value, 2)
        if index is not None:
            return self.accept("appointment_service", ("vaccination", "developmental_screening")[index], tracker)
        for service, words in SERVICE_WORDS.items():
            if has_any(str(value), words):
                return self.accept("appointment_service", service, tracker)
        return self.reject("appointment_service", "utter_appointment_service_unclear", dispatcher, tracker)

    # -- clinic ------------------------------------------------------------------------------------------------
    async def validate_appointment_clinic(self, value, dispatcher, tracker, domain):
        try:
            clinics = await ClinicDirectory.all()
        except AgencyError as err:
            report_agency_error(dispatcher, err)
            return {"appointment_clinic": None}
        text = str(value or "").strip()
        if any(c["id"] == text for c in clinics):
            return self.accept("appointment_clinic", text, tracker, appointment_clinic_choices=None)
        choices = tracker.get_slot("appointment_clinic_choices") or {}
        index = choice_number(text, len(choices.get("ids") or []))
        if index is not None:
            return self.accept("appointment_clinic", choices["ids"][index], tracker, appointment_clinic_choices=None)
        postal_code = clinic_search.postal_code_in(text)
        if postal_code:
            try:
                nearest = await call(agencies().health.clinics, postal_code=postal_code, limit=3)
            except AgencyError as err:
                if err.code == Code.POSTAL_CODE_INVALID:
                    return self.reject("appointment_clinic", "utter_postal_code_invalid", dispatcher, tracker,
                                       postal_code=postal_code)
                report_agency_error(dispatcher, err)
                return {"appointment_clinic": None}
            return {"appointment_clinic": None, "appointment_clinic_choices": {
                "kind": "nearby", "postal_code": postal_code, "ids": [c["id"] for c in nearest],
                "distances": [c.get("distance_km") for c in nearest]}}
        match = clinic_search.find(text, clinics)
        if match.found:
            return self.accept("appointment_clinic", match.clinic["id"], tracker, appointment_clinic_choices=None)
        if match.candidates and len(match.candidates) > 1 and clinic_search.score(text, match.candidates[0]) >= \
                clinic_search.ACCEPT:
            return {"appointment_clinic": None, "appointment_clinic_choices": {
                "kind": "which", "ids": [c["id"] for c in match.candidates]}}
        result = self.reject("appointment_clinic", "utter_appointment_clinic_unknown", dispatcher, tracker,
                             query=text[:40])
        result["appointment_clinic_choices"] = {"kind": "suggested", "ids": [c["id"] for c in match.candidates]} \
            if match.candidates else None
        return result

    async def validate_appointment_date(self, value, dispatcher, tracker, domain):
        if not tracker.get_slot("appointment_clinic"):  # said in the first message, before the clinic
            return {"appointment_date": None}
        return await self.check_date(value, dispatcher, tracker)

    # -- confirm and book --------------------------------------------------------------------------------------
    async def submit(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        return await self.book(dispatcher, tracker)

    async def correct(self, text: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        """A change in free text at the summary: "change the clinic to Tampines", "换到下个星期五", "tarikh lain"."""
        out: Dict[Text, Any] = {"confirm_submission": None, "appointment_changing": None}
        clinics = await ClinicDirectory.all()
        field = self.change_request(text)
        match = clinic_search.find(text, clinics)
        if match.clinic is not None and match.clinic["id"] != tracker.get_slot("appointment_clinic") \
                and field in (None, "clinic"):
            return {**out, "appointment_clinic": match.clinic["id"], "appointment_date": None,
                    "appointment_slot": None, "appointment_offered_slots": None}
        if parse_date(text, clock.today(), prefer="future"):
            result = await self.check_date(text, dispatcher, tracker)
            if result.get("appointment_date"):
                return {**out, **result}
            return {**out, "appointment_slot": None, "appointment_date": None}
        if field == "clinic":
            return {**out, "appointment_clinic": None, "appointment_clinic_choices": None, "appointment_date": None,
                    "appointment_slot": None, "appointment_offered_slots": None}
        if field == "date":
            return {**out, "appointment_date": None, "appointment_slot": None, "appointment_offered_slots": None}
        if field == "child" and len(tracker.get_slot("appointment_children") or []) > 1:
            return {**out, "appointment_child": None}
        if field == "service":
            return {**out, "appointment_service": None, "appointment_date": None, "appointment_slot": None,
                    "appointment_offered_slots": None}
        changing = tracker.get_slot("appointment_changing")
        return {**self.reject("confirm_submission", "utter_appointment_change_unclear" if changing
                              else "utter_confirm_or_change", dispatcher, tracker), "appointment_changing": changing}

    async def book(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        child, slot_id = tracker.get_slot("appointment_child"), tracker.get_slot("appointment_slot")
        identity = await identify(tracker)
        key = idempotency_key(tracker, "book_appointment", {"child": child, "slot": slot_id})
        try:
            appt = await call(agencies().health.book, identity.token, child, int(slot_id), idempotency_key=key)
        except AgencyError as err:
            if err.outcome_unknown:
                return outcome_unknown(dispatcher)
            if is_retryable(err):
                return self.agency_unavailable(dispatcher)
            if err.code in (Code.SLOT_TAKEN, Code.SLOT_IN_PAST):
                return await self.offer_next_slots(dispatcher, tracker)
            if err.code == Code.APPOINTMENT_EXISTS:
                name = next((c["name"] for c in tracker.get_slot("appointment_children") or [] if c["id"] == child), "")
                dispatcher.utter_message(response="utter_appointment_exists", child=name,
                                         reference=err.problem.get("appointment_reference") or "")
            else:
                report_agency_error(dispatcher, err)
            return {"confirm_submission": None, "journey_aborted": True}
        logger.info("booked %s", appt["reference"])
        return self.accept("confirm_submission", True, tracker, appointment_result=summarise(appt))


# --- reschedule and cancel: pick one of the user's upcoming appointments ------------------------------------------

class PickAppointmentMixin(AppointmentFormValidation):
    """The upcoming appointments of the logged-in parent's children, and choosing one of them."""

    async def before_validation(self, dispatcher, tracker, activating):
        if tracker.get_slot("appointment_upcoming") is not None:
            return {}
        identity = await identify(tracker)
        try:
            booked = await call(agencies().health.appointments, identity.token, status="booked")
        except AgencyError as err:
            report_agency_error(dispatcher, err)
            return {"journey_aborted": True}
        now = clock.now()
        upcoming = [summarise(a) for a in booked if to_sgt(a["starts_at"]) > now]
        if not upcoming:
            dispatcher.utter_message(response="utter_no_upcoming_appointments")
            return {"appointment_upcoming": [], "journey_aborted": True}
        out: Dict[Text, Any] = {"appointment_upcoming": upcoming}
        said = REFERENCE.search(trigger_text(tracker, self.journey_intents))
        if len(upcoming) == 1:
            out["appointment_pick"] = upcoming[0]["reference"]
        elif said and any(a["reference"] == said.group(0).upper() for a in upcoming):
            out["appointment_pick"] = said.group(0).upper()
        return out

    def clinic_and_service(self, tracker: Tracker) -> tuple:
        appt = picked_appointment(tracker) or {}
        return (appt.get("clinic") or {}).get("id"), appt.get("service") or "vaccination"

    def validate_appointment_pick(self, value, dispatcher, tracker, domain):
        upcoming = tracker.get_slot("appointment_upcoming") or []
        text = str(value or "")
        said = REFERENCE.search(text)
        if said:
            ref = said.group(0).upper()
            if any(a["reference"] == ref for a in upcoming):
                return self.accept("appointment_pick", ref, tracker)
            return self.reject("appointment_pick", "utter_appointment_pick_unknown", dispatcher, tracker,
                               reference=ref)
        index = choice_number(text, len(upcoming), in_time_order=True)
        if index is not None:
            return self.accept("appointment_pick", upcoming[index]["reference"], tracker)
        children = [{"id": a["reference"], "name": a["child"]} for a in upcoming]
        child = child_mentioned(text, children)
        if child:
            return self.accept("appointment_pick", child["id"], tracker)
        return self.reject("appointment_pick", "utter_appointment_pick_unclear", dispatcher, tracker)

    def no_longer_open(self, dispatcher: CollectingDispatcher, err: AgencyError, reference: str) -> Dict[Text, Any]:
        if err.code in (Code.APPOINTMENT_CANCELLED, Code.APPOINTMENT_PAST, Code.APPOINTMENT_NOT_FOUND, Code.APPOINTMENT_CHANGED):
            dispatcher.utter_message(response="utter_appointment_no_longer_open", reference=reference)
        else:
            report_agency_error(dispatcher, err)
        return {"confirm_submission": None, "journey_aborted": True}


class ValidateRescheduleAppointmentForm(PickAppointmentMixin):
    journey_intents = ("reschedule_appointment",)

    def name(self) -> Text:
        return "validate_reschedule_appointment_form"

    async def submit(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        return await self.reschedule(dispatcher, tracker)

    async def correct(self, text: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        """Another day ("next Friday", "下个星期五") or "change the date": the free times are asked again."""
        out = {"confirm_submission": None, "appointment_changing": None}
        if parse_date(text, clock.today(), prefer="future"):
            result = await self.check_date(text, dispatcher, tracker)
            return {**out, **result} if result.get("appointment_date") else \
                {**out, "appointment_date": None, "appointment_slot": None}
        if self.change_request(text) in ("date", "clinic"):
            return {**out, "appointment_date": None, "appointment_slot": None, "appointment_offered_slots": None}
        changing = tracker.get_slot("appointment_changing")
        return {**self.reject("confirm_submission", "utter_appointment_change_unclear" if changing
                              else "utter_confirm_or_change", dispatcher, tracker), "appointment_changing": changing}

    async def reschedule(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        appt, slot_id = picked_appointment(tracker), tracker.get_slot("appointment_slot")
        if appt is None:  # cannot happen through the form; ask again rather than guess
            return {"appointment_pick": None, "confirm_submission": None}
        identity = await identify(tracker)
        key = idempotency_key(tracker, "reschedule_appointment",
                              {"ref": appt["reference"], "slot": slot_id, "moves": appt["reschedule_count"]})
        try:
            moved = await call(agencies().health.reschedule, identity.token, appt["reference"], int(slot_id),
                               idempotency_key=key)
        except AgencyError as err:
            if err.outcome_unknown:
                return outcome_unknown(dispatcher)
            if is_retryable(err):
                return self.agency_unavailable(dispatcher)
            if err.code in (Code.SLOT_TAKEN, Code.SLOT_IN_PAST):
                return await self.offer_next_slots(dispatcher, tracker)
            if err.code == Code.SLOT_UNCHANGED:
                return {**self.reject("appointment_slot", "utter_appointment_same_slot", dispatcher, tracker),
                        "confirm_submission": None}
            return self.no_longer_open(dispatcher, err, appt["reference"])
        logger.info("rescheduled %s", moved["reference"])
        return self.accept("confirm_submission", True, tracker, appointment_result=summarise(moved))


def reminded_child(tracker: Tracker) -> Optional[str]:
    """The child a reminder's "Reply 1 to book" named, when this message is that reply."""
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == "vaccination_child" and entity.get("value"):
            return str(entity["value"])
    return None


class ValidateCancelAppointmentForm(PickAppointmentMixin):
    journey_intents = ("cancel_appointment",)

    def name(self) -> Text:
        return "validate_cancel_appointment_form"

    async def validate_confirm_submission(self, value, dispatcher, tracker, domain):
        answer = self.yes_or_no(tracker, str(value or ""))
        appt = picked_appointment(tracker) or {}
        if answer is False:
            dispatcher.utter_message(response="utter_appointment_kept", reference=appt.get("reference", ""))
            return {"confirm_submission": None, "journey_aborted": True}
        if answer is None:
            return self.reject("confirm_submission", "utter_please_answer_yes_no", dispatcher, tracker)
        identity = await identify(tracker)
        key = idempotency_key(tracker, "cancel_appointment", {"ref": appt["reference"]})
        try:
            cancelled = await call(agencies().health.cancel, identity.token, appt["reference"], idempotency_key=key)
        except AgencyError as err:
            if err.outcome_unknown:
                return outcome_unknown(dispatcher)
            if is_retryable(err):
                return self.agency_unavailable(dispatcher)
            return self.no_longer_open(dispatcher, err, appt["reference"])
        logger.info("cancelled %s", cancelled["reference"])
        return self.accept("confirm_submission", True, tracker, appointment_result=summarise(cancelled))
