"""Human handoff: the request is recorded (masked) and routed to the agency of the latest topic."""
import asyncio

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHumanHandoff, agency_for
from moments.handoff import HandoffStore


def user(text, intent):
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}, "input_channel": "rest"}


def tracker(events, language="zh"):
    return Tracker("conv-1", {"language": language}, events[-1]["parse_data"], events, False, None, {}, "rest")


def test_agency_follows_latest_topic():
    assert agency_for(tracker([user("baby bonus how much", "ask_baby_bonus"), user("talk to someone", "human_handoff")])) == "msf"
    assert agency_for(tracker([user("hi", "greet"), user("agent pls", "human_handoff")])) == "general"
    assert agency_for(tracker([user("bonus", "ask_baby_bonus"), user("book jab", "book_appointment"),
                               user("person", "human_handoff")])) == "polyclinic"


def test_handoff_is_recorded_with_personal_data_masked(tmp_path):
    store = HandoffStore(f"sqlite:///{tmp_path / 'h.db'}")
    ActionHumanHandoff._store = store
    try:
        events = [user("我的IC是S1234567D，要登记出生", "register_birth"), user("我要找真人", "human_handoff")]
        dispatcher = CollectingDispatcher()
        result = asyncio.run(ActionHumanHandoff().run(dispatcher, tracker(events), {}))
    finally:
        ActionHumanHandoff._store = None
    [row] = store.open_requests()
    assert row.agency == "ica" and row.language == "zh" and row.channel == "rest"
    assert "S1234567D" not in row.last_message and "S****567D" in row.last_message
    assert result == [SlotSet("handoff_reference", row.reference), SlotSet("handoff_agency", "ica"),
                      SlotSet("logged_in", False)], "a REST caller without a token is a guest"
    assert row.reference.startswith("HO-")
