"""A new session keeps the conversation's language and nothing else.

Rasa's default `action_session_start` with `carry_over_slots_to_new_session: true` copied every slot into the new
session — bank account numbers, MyInfo consent, the children loaded from MyInfo — so a conversation that went quiet
for an hour (session_config.session_expiration_time) still held them, and a new session stored them again. With it
false, a grandparent who texts in Tamil would be answered in English after an hour. This action carries over only
`language`; everything a journey needs is asked or fetched from the agencies again.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

CARRIED_OVER = ("language",)


class ActionSessionStart(Action):
    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        for slot in CARRIED_OVER:
            value = tracker.get_slot(slot)
            if value is not None:
                events.append(SlotSet(slot, value))
        events.append(ActionExecuted("action_listen"))
        return events
