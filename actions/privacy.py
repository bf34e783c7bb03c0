""""Forget me": delete this conversation from the tracker store once the citizen has said yes.

The action server has no access to Rasa's tracker store (by design: it only sees the tracker Rasa sends). So the
action sends the goodbye and sets the `privacy_forget` marker slot; Rasa saves the turn at its end, and the tracker
store (moments.privacy.store.PrivateSQLTrackerStore) deletes every event of the conversation instead of storing
the turn when it sees the marker. The next message then starts a new conversation. Agency records (registrations,
applications, bookings) are not touched: they are the system of record, with their own retention rules.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from moments.privacy.marker import FORGET_SLOT


class ActionForgetMe(Action):
    def name(self) -> Text:
        return "action_forget_me"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_forget_me_done")
        return [SlotSet(FORGET_SLOT, True)]
