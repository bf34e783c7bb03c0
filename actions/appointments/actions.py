"""The appointment forms' questions that need data: choices as buttons (the SMS channel numbers them) and the
summaries before booking, moving or cancelling, in the user's language (form.py beside this file has the forms);
after a form, the agency's answer and a clean slate; the list of upcoming appointments.

Rasa finds them by name: action_ask_<slot> or action_ask_<form>_<slot>.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet

from actions.appointments.answers import appointment_title, appointment_values, picked_appointment, summarise
from actions.appointments.clinic_search import ClinicDirectory
from actions.appointments.form import JOURNEY_SLOTS
from actions.shared import clock
from actions.shared.agency import agencies, call, identify, report_agency_error
from actions.shared.answers import child_titles
from actions.shared.labels import SERVICES, clinic_name, label
from moments.agency_client.client import AgencyError
from moments.text.formatting import format_date, format_datetime, to_sgt
from moments.text.languages import language_of


class ActionAskAppointmentChild(Action):
    def name(self) -> Text:
        return "action_ask_appointment_child"

    async def run(self, dispatcher, tracker, domain):
        children = tracker.get_slot("appointment_children") or []
        titles = child_titles(children, language_of(tracker))
        dispatcher.utter_message(response="utter_ask_appointment_child",
                                 buttons=[{"title": t, "payload": str(i)} for i, t in enumerate(titles, 1)])
        return []


class ActionAskAppointmentClinic(Action):
    def name(self) -> Text:
        return "action_ask_appointment_clinic"

    async def run(self, dispatcher, tracker, domain):
        choices = tracker.get_slot("appointment_clinic_choices") or {}
        lang = language_of(tracker)
        if not choices.get("ids"):
            dispatcher.utter_message(response="utter_ask_appointment_clinic")
            return []
        try:
            clinics = [await ClinicDirectory.get(i) for i in choices["ids"]]
        except AgencyError as err:
            report_agency_error(dispatcher, err)
            return []
        titles = [clinic_name(c, lang) for c in clinics if c]
        if choices.get("kind") == "nearby":
            titles = [f"{t} (~{d:g} km)" if d is not None else t for t, d in zip(titles, choices.get("distances") or [])]
        response = {"nearby": "utter_ask_appointment_clinic_nearby", "which": "utter_ask_appointment_clinic_which"} \
            .get(choices.get("kind"), "utter_ask_appointment_clinic_suggested")
        dispatcher.utter_message(response=response, postal_code=choices.get("postal_code") or "",
                                 buttons=[{"title": t, "payload": str(i)} for i, t in enumerate(titles, 1)])
        return []


async def clinic_for_slots(tracker: Tracker) -> Optional[dict]:
    """Where the free times are: the clinic chosen (book) or the appointment's clinic (reschedule)."""
    if tracker.active_loop_name == "reschedule_appointment_form":
        return (picked_appointment(tracker) or {}).get("clinic")
    return await ClinicDirectory.get(tracker.get_slot("appointment_clinic"))


class ActionAskAppointmentSlot(Action):
    def name(self) -> Text:
        return "action_ask_appointment_slot"

    async def run(self, dispatcher, tracker, domain):
        lang = language_of(tracker)
        offered = tracker.get_slot("appointment_offered_slots") or []
        try:
            clinic = await clinic_for_slots(tracker)
        except AgencyError:
            clinic = None
        dispatcher.utter_message(
            response="utter_ask_appointment_slot", clinic=clinic_name(clinic, lang),
            date=format_date(tracker.get_slot("appointment_date") or clock.today(), lang),
            buttons=[{"title": format_datetime(s["starts_at"], lang, year=False), "payload": str(i)}
                     for i, s in enumerate(offered, 1)])
        return []


class ActionAskAppointmentPick(Action):
    def name(self) -> Text:
        return "action_ask_appointment_pick"

    async def run(self, dispatcher, tracker, domain):
        lang = language_of(tracker)
        upcoming = tracker.get_slot("appointment_upcoming") or []
        response = "utter_ask_appointment_pick_to_cancel" if tracker.active_loop_name == "cancel_appointment_form" \
            else "utter_ask_appointment_pick_to_move"
        dispatcher.utter_message(response=response, buttons=[
            {"title": appointment_title(a, lang), "payload": a["reference"]} for a in upcoming])
        return []


class ActionAskBookConfirm(Action):
    def name(self) -> Text:
        return "action_ask_book_appointment_form_confirm_submission"

    async def run(self, dispatcher, tracker, domain):
        if tracker.get_slot("appointment_changing"):
            dispatcher.utter_message(response="utter_ask_appointment_change")
            return []
        lang = language_of(tracker)
        child = next((c["name"] for c in tracker.get_slot("appointment_children") or []
                      if c["id"] == tracker.get_slot("appointment_child")), "")
        slot_id = tracker.get_slot("appointment_slot")
        slot = next((s for s in tracker.get_slot("appointment_offered_slots") or [] if s["id"] == slot_id), None)
        try:
            clinic = await ClinicDirectory.get(tracker.get_slot("appointment_clinic"))
        except AgencyError:
            clinic = None
        dispatcher.utter_message(
            response="utter_ask_book_appointment_confirm", child=child,
            service=label(SERVICES, tracker.get_slot("appointment_service"), lang),
            clinic=clinic_name(clinic, lang), address=(clinic or {}).get("address", ""),
            when=format_datetime(slot["starts_at"], lang) if slot else "")
        return []


class ActionAskRescheduleDate(Action):
    def name(self) -> Text:
        return "action_ask_reschedule_appointment_form_appointment_date"

    async def run(self, dispatcher, tracker, domain):
        appt = picked_appointment(tracker)
        values = appointment_values(appt, language_of(tracker)) if appt else {}
        dispatcher.utter_message(response="utter_ask_reschedule_date", **values)
        return []


class ActionAskRescheduleConfirm(Action):
    def name(self) -> Text:
        return "action_ask_reschedule_appointment_form_confirm_submission"

    async def run(self, dispatcher, tracker, domain):
        if tracker.get_slot("appointment_changing"):
            dispatcher.utter_message(response="utter_ask_reschedule_change")
            return []
        lang = language_of(tracker)
        appt = picked_appointment(tracker) or {}
        slot_id = tracker.get_slot("appointment_slot")
        slot = next((s for s in tracker.get_slot("appointment_offered_slots") or [] if s["id"] == slot_id), None)
        values = appointment_values(appt, lang) if appt else {}
        dispatcher.utter_message(response="utter_ask_reschedule_confirm", **values,
                                 new_when=format_datetime(slot["starts_at"], lang) if slot else "")
        return []


class ActionAskCancelConfirm(Action):
    def name(self) -> Text:
        return "action_ask_cancel_appointment_form_confirm_submission"

    async def run(self, dispatcher, tracker, domain):
        appt = picked_appointment(tracker)
        values = appointment_values(appt, language_of(tracker)) if appt else {}
        dispatcher.utter_message(response="utter_ask_cancel_confirm", **values)
        return []


# --- after the form: the result, then a clean slate ------------------------------------------------------------------

def reset_events() -> List[Dict[Text, Any]]:
    return [SlotSet(slot, None) for slot in JOURNEY_SLOTS]


class ActionResetAppointment(Action):
    """After "stop" (or a journey that ended early): forget the journey's answers; consent is kept."""

    def name(self) -> Text:
        return "action_reset_appointment"

    async def run(self, dispatcher, tracker, domain):
        return reset_events()


class _AppointmentDone(Action, ABC):
    """Shows the agency's answer (if the form got one) in the user's language, then resets the journey."""

    response = ""

    @abstractmethod
    def name(self) -> Text:  # pragma: no cover - each form's done-action names itself
        ...

    async def run(self, dispatcher, tracker, domain):
        result = tracker.get_slot("appointment_result")
        if result and tracker.get_slot("confirm_submission") is True:
            dispatcher.utter_message(response=self.response, **appointment_values(result, language_of(tracker)))
        return reset_events()


class ActionBookAppointmentDone(_AppointmentDone):
    response = "utter_appointment_booked"

    def name(self) -> Text:
        return "action_book_appointment_done"


class ActionRescheduleAppointmentDone(_AppointmentDone):
    response = "utter_appointment_rescheduled"

    def name(self) -> Text:
        return "action_reschedule_appointment_done"


class ActionCancelAppointmentDone(_AppointmentDone):
    response = "utter_appointment_cancelled"

    def name(self) -> Text:
        return "action_cancel_appointment_done"


# --- list -------------------------------------------------------------------------------------------------------------

class ActionListAppointments(Action):
    """The user's children's upcoming appointments: child, service, clinic in the user's language, time, reference."""

    def name(self) -> Text:
        return "action_list_appointments"

    async def run(self, dispatcher, tracker, domain):
        identity = await identify(tracker)
        try:
            booked = await call(agencies().health.appointments, identity.token, status="booked")
        except AgencyError as err:
            report_agency_error(dispatcher, err)
            return []
        now, lang = clock.now(), language_of(tracker)
        upcoming = [summarise(a) for a in booked if to_sgt(a["starts_at"]) > now]
        if not upcoming:
            dispatcher.utter_message(response="utter_no_upcoming_appointments")
            return []
        lines = []
        for a in upcoming:
            v = appointment_values(a, lang)
            lines.append(f"• {v['when']} — {v['child']}, {v['service']}, {v['clinic']} ({v['reference']})")
        dispatcher.utter_message(response="utter_appointments_list", appointments="\n".join(lines))
        return []
