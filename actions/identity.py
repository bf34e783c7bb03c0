"""Who is chatting: checked before any journey that needs a logged-in citizen."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.shared.agency import identify


class ActionCheckIdentity(Action):
    """Sets `logged_in`; the journeys' rules then start the form or explain how to log in."""

    def name(self) -> Text:
        return "action_check_identity"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        identity = await identify(tracker)
        return [SlotSet("logged_in", identity.known), SlotSet("journey_aborted", None)]
