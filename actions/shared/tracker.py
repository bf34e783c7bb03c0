"""Reading what a rasa-sdk Tracker holds: the latest message, the message that started a journey, the language
before the latest message, and forgetting slots an action received."""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional

from rasa_sdk import Tracker


def latest_intent(tracker: Tracker) -> Optional[str]:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def trigger_text(tracker: Tracker, intents: Iterable[str]) -> str:
    """The text of the latest user message with one of these intents ("book Irfan's jab at AMK next Monday")."""
    wanted = {intents} if isinstance(intents, str) else set(intents)
    for event in reversed(tracker.events):
        if event.get("event") == "user" and ((event.get("parse_data") or {}).get("intent") or {}).get("name") in wanted:
            return event.get("text") or ""
    return ""


def form_start_text(tracker: Tracker, form: str, intents: Iterable[str]) -> str:
    """The text of the user message that started `form` this time (the one before its latest activation: "apply for
    Kavya", or the "ok" to an offer to apply); without an activation in the tracker, trigger_text(intents)."""
    last_user: Optional[Dict[str, Any]] = None
    started: Optional[Dict[str, Any]] = None
    active = None
    for event in tracker.events:
        if event.get("event") == "user":
            last_user = event
        elif event.get("event") == "active_loop":
            if event.get("name") == form and active != form:
                started = last_user
            active = event.get("name")
    if started is not None:
        return started.get("text") or ""
    return trigger_text(tracker, intents)


def answered_just_before(tracker: Tracker, action: str) -> bool:
    """Whether `action` was the bot's last action before the latest user message (its answer is what the user is
    replying to: "apply" right after the Baby Bonus answer about one child)."""
    seen_latest_message = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_latest_message:
                return False
            seen_latest_message = True
        elif seen_latest_message and event.get("event") == "action" and event.get("name") != "action_listen":
            return event.get("name") == action
    return False


def previous_language(tracker: Tracker) -> Optional[str]:
    """The conversation's language before the latest message (names typed in another script must not switch it)."""
    seen_latest_message = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_latest_message = True
        elif seen_latest_message and event.get("event") == "slot" and event.get("name") == "language":
            return event.get("value")
    return "en" if seen_latest_message else None  # the slot's initial value


def keep_language(tracker: Tracker) -> Dict[str, Any]:
    """{"language": before} when the latest message switched the language (a Chinese name typed in an English
    conversation); else {}."""
    before = previous_language(tracker)
    if before and before != tracker.get_slot("language"):
        return {"language": before}
    return {}


def forget(tracker: Tracker, names: List[str]) -> None:
    """Clears slots in the tracker an action received, including any candidate values waiting for validation."""
    if not names:
        return
    for name in names:
        tracker.slots[name] = None
    start = len(tracker.events)
    while start > 0 and tracker.events[start - 1].get("event") == "slot":
        start -= 1
    tracker.events[start:] = [e for e in tracker.events[start:] if e.get("name") not in names]
