"""action_session_start carries over the language only."""
from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.session import ActionSessionStart


def tracker(slots):
    return Tracker("c1", slots, {}, [], False, None, {}, "action_listen")


def test_only_the_language_survives_a_new_session():
    events = asyncio.run(ActionSessionStart().run(
        CollectingDispatcher(), tracker({"language": "ta", "bb_account": "0123456789", "myinfo_consent": True}), {}))
    assert [e["event"] for e in events] == ["session_started", "slot", "action"]
    assert events[1]["name"] == "language" and events[1]["value"] == "ta"
    assert events[2]["name"] == "action_listen"


def test_a_conversation_without_a_language_starts_plain():
    events = asyncio.run(ActionSessionStart().run(CollectingDispatcher(), tracker({}), {}))
    assert [e["event"] for e in events] == ["session_started", "action"]
