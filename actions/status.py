"""check_status: the logged-in parent's birth registrations and Baby Bonus applications, with their state.

From ICA: registrations (BR-…) and births the hospital notified that are not registered yet (with the online
deadline, or "late"); from MSF: Baby Bonus applications (BB-…). One message, one line per record, state names in
the user's language. If one agency is down the other's records are still shown, with a note.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.shared.agency import agencies, call, identify, report_agency_error
from moments.text.languages import language_of
from moments.text.formatting import format_date
from actions.shared.labels import RECORDS, STATES, label
from moments.agency_client.client import AgencyError

logger = logging.getLogger(__name__)


def registration_line(r: dict, lang: str) -> str:
    child = (r.get("child") or {}).get("name", "")
    registered = format_date(r["registered_at"], lang) if r.get("registered_at") else ""
    return (f"• {label(RECORDS, 'birth_registration', lang)} {r['reference']} — {child}: "
            f"{label(STATES, r.get('status') or 'registered', lang)}" + (f" ({registered})" if registered else ""))


def notification_line(n: dict, lang: str) -> str:
    state = label(STATES, n.get("status"), lang).format(deadline=format_date(n["registration_deadline"], lang))
    return f"• {label(RECORDS, 'birth_notification', lang)} — {format_date(n['date_of_birth'], lang)}: {state}"


def application_line(a: dict, lang: str) -> str:
    child = (a.get("child") or {}).get("name", "")
    return (f"• {label(RECORDS, 'baby_bonus', lang)} {a['reference']} — {child}: "
            f"{label(STATES, a.get('status'), lang)}")


class ActionShowStatus(Action):
    def name(self) -> Text:
        return "action_show_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        identity = await identify(tracker)
        lang = language_of(tracker)
        lines: List[str] = []
        missing = False
        sources = (
            (agencies().ica.registrations, registration_line),
            (agencies().ica.notifications, notification_line),
            (agencies().msf.applications, application_line),
        )
        for fetch, line in sources:
            try:
                records = await call(fetch, identity.token)
            except AgencyError as err:
                if not err.unavailable:  # login expired, no consent …: say so once and stop
                    report_agency_error(dispatcher, err)
                    return []
                missing = True
                continue
            lines += [line(r, lang) for r in records]
        if lines:
            dispatcher.utter_message(response="utter_status_list", items="\n".join(lines))
        elif not missing:
            dispatcher.utter_message(response="utter_status_nothing")
        if missing:
            dispatcher.utter_message(response="utter_status_partly_unavailable")
        return []
