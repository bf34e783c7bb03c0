"""Which vaccinations a logged-in parent's child is due or overdue for, from the Health agency's records.

The rule runs action_check_identity first: logged in → this action; not logged in → the generic schedule
(utter_vaccination_info) and how to log in. With several young children the action asks which one (buttons that
repeat the intent with the child's id as an entity, so the SMS channel can number them), unless the message
names one ("what jabs does Irfan need?").
"""
from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any, Dict, List, Optional, Sequence, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.appointments.answers import appointment_values, child_mentioned, summarise
from actions.shared import clock
from actions.shared.agency import agencies, call, identify, report_agency_error
from actions.shared.answers import child_titles
from moments.text.languages import language_of
from moments.text.formatting import format_date, join_list, to_date, to_sgt
from actions.shared.labels import VACCINES, label
from moments.agency_client.client import AgencyError

logger = logging.getLogger(__name__)

SCHEDULE_YEARS = 6  # the national schedule runs from birth to 5 years
CHILD_ENTITY = "vaccination_child"


def chosen_child_id(tracker: Tracker) -> str:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == CHILD_ENTITY:
            return str(entity.get("value"))
    return ""


class ActionVaccinationStatus(Action):
    def name(self) -> Text:
        return "action_vaccination_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        identity = await identify(tracker)
        lang = language_of(tracker)
        try:
            person = await call(agencies().myinfo.person, identity.token)
        except AgencyError as err:
            report_agency_error(dispatcher, err)
            return []
        cutoff = clock.today() - timedelta(days=365 * SCHEDULE_YEARS)
        children = [c for c in person.get("children") or [] if to_date(str(c["date_of_birth"])) > cutoff]
        if not children:
            dispatcher.utter_message(response="utter_vaccinations_no_young_children")
            dispatcher.utter_message(response="utter_vaccination_info")
            return []
        wanted = chosen_child_id(tracker)
        child = next((c for c in children if c["id"] == wanted), None) \
            or child_mentioned((tracker.latest_message or {}).get("text") or "", children)
        if child is None and len(children) == 1:
            child = children[0]
        if child is None:
            titles = child_titles(children, language_of(tracker))
            dispatcher.utter_message(response="utter_ask_vaccination_child", buttons=[
                {"title": title, "payload": "/ask_vaccination_schedule" + json.dumps({CHILD_ENTITY: c["id"]})}
                for title, c in zip(titles, children)])
            return []
        try:
            record = await call(agencies().health.immunisations, identity.token, child["id"])
        except AgencyError as err:
            report_agency_error(dispatcher, err)
            return []
        booked = await self.booked_for(identity.token, child["id"], lang)
        self.tell(dispatcher, child["name"], record.get("doses") or [], lang, booked)
        return [SlotSet("vaccination_explained_child", child["id"])]  # "book" right after this is for this child

    @staticmethod
    async def booked_for(token: Optional[str], child_id: str, lang: str) -> List[str]:
        """The child's upcoming vaccination appointments, one line each (when, clinic, reference). A grandparent by
        SMS sees them here and moves or cancels by digit; if the agency cannot say, the answer goes on without."""
        try:
            booked = await call(agencies().health.appointments, token, status="booked")
        except AgencyError as err:
            logger.info("vaccinations: appointments not listed (%s)", err.code)
            return []
        now = clock.now()
        upcoming = sorted((summarise(a) for a in booked if to_sgt(a["starts_at"]) > now
                           and (a.get("child") or {}).get("id") == child_id and a.get("service") == "vaccination"),
                          key=lambda a: to_sgt(a["starts_at"]))
        lines = []
        for a in upcoming:
            v = appointment_values(a, lang)
            lines.append(f"• {v['when']}, {v['clinic']} ({v['reference']})")
        return lines

    @staticmethod
    def tell(dispatcher: CollectingDispatcher, name: str, doses: List[dict], lang: str,
             booked: Sequence[str] = ()) -> None:
        def names(items):
            seen = []
            for d in items:
                n = label(VACCINES, d.get("code"), lang)
                if n not in seen:
                    seen.append(n)
            return join_list(seen, lang)

        overdue = [d for d in doses if d.get("status") == "overdue"]
        due = [d for d in doses if d.get("status") == "due"]
        upcoming = sorted((d for d in doses if d.get("status") == "upcoming"), key=lambda d: str(d["due_on"]))
        if overdue:
            dispatcher.utter_message(response="utter_vaccinations_overdue", child=name, doses=names(overdue))
        if due:
            dispatcher.utter_message(response="utter_vaccinations_due", child=name, doses=names(due))
        if not overdue and not due:
            dispatcher.utter_message(response="utter_vaccinations_up_to_date", child=name)
        if upcoming:
            first = str(upcoming[0]["due_on"])
            dispatcher.utter_message(response="utter_vaccinations_next", child=name, date=format_date(first, lang),
                                     doses=names(d for d in upcoming if str(d["due_on"]) == first))
        if booked:  # already booked: move or cancel it (or book another), by SMS the numbered "1" / "2" / "3"
            dispatcher.utter_message(response="utter_vaccinations_booked", child=name, appointments="\n".join(booked))
        elif overdue or due or upcoming:  # the next dose can be booked ahead; by SMS this is the "1" that books
            dispatcher.utter_message(response="utter_vaccinations_offer_booking")

