"""Changing the conversation's language on request."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

SUPPORTED = ("en", "zh", "ms", "ta")


class ActionChangeLanguage(Action):
    """The `language` slot is already set by its slot mapping when the user named a language
    ("请说华语", "tukar ke bahasa Inggeris", or a language button); confirm it in that language.
    When no language was named ("change language"), offer the four as buttons."""

    def name(self) -> Text:
        return "action_change_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        named = next(tracker.get_latest_entity_values("language"), None)
        if named in SUPPORTED:
            dispatcher.utter_message(response="utter_language_changed")
        else:
            dispatcher.utter_message(response="utter_ask_language")
        return []
