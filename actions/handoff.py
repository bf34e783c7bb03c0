"""Human handoff: records the request and tells the user how to reach the right agency."""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.shared.agency import identify

if TYPE_CHECKING:  # the store is SQLAlchemy's: loaded at the first handoff, not with the action server
    from moments.handoff import HandoffStore

logger = logging.getLogger(__name__)

# Which agency a topic belongs to, judged from the user's recent intents.
AGENCY_OF_INTENT = {
    "register_birth": "ica",
    "ask_birth_registration": "ica",
    "ask_baby_bonus": "msf",
    "apply_baby_bonus": "msf",
    "ask_vaccination_schedule": "polyclinic",
    "book_appointment": "polyclinic",
    "reschedule_appointment": "polyclinic",
    "cancel_appointment": "polyclinic",
    "check_appointments": "polyclinic",
}


def agency_for(tracker: Tracker) -> str:
    """The agency of the most recent topic the user raised, else "general"."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent in AGENCY_OF_INTENT:
                return AGENCY_OF_INTENT[intent]
    return "general"


def last_topic_message(tracker: Tracker) -> Optional[str]:
    """The latest user message before the handoff request: what the officer should read first."""
    seen_request = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_request:
                return event.get("text")
            seen_request = True
    return None


class ActionHumanHandoff(Action):
    _store: Optional["HandoffStore"] = None

    def name(self) -> Text:
        return "action_human_handoff"

    @classmethod
    def store(cls) -> "HandoffStore":
        if cls._store is None:
            from moments.handoff import HandoffStore

            cls._store = HandoffStore()
        return cls._store

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        agency = agency_for(tracker)
        channel = (tracker.get_latest_input_channel() or None)
        recorded = await asyncio.to_thread(
            self.store().record,
            tracker.sender_id,
            agency,
            tracker.get_slot("language") or "en",
            last_topic_message(tracker),
            channel,
        )
        logger.info("handoff %s recorded for agency %s", recorded.reference, agency)
        # The rules in data/rules/fallback.yml send utter_handoff_<agency>, which shows the reference. On the web,
        # a guest (logged_in false) gets that response's guest variation: no officer can reach someone nobody
        # knows, so it gives the agencies' hotlines and a link to the login instead (domain/core.yml).
        known = (await identify(tracker)).known
        return [SlotSet("handoff_reference", recorded.reference), SlotSet("handoff_agency", agency),
                SlotSet("logged_in", known)]
