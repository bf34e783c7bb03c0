"""Conversations made of Rasa events, shaped like the bot's own (form activation, requested_slot, the submit's
result slot, agency errors, handoffs): for the analytics tests (saved through the real tracker store) and for
`make bench-console` (100,000 of them written as the store writes its rows).
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from rasa.shared.core.events import (ActionExecuted, ActiveLoop, BotUttered, Event, SessionStarted, SlotSet,
                                     UserUttered)

from moments.console.analytics import BY_NAME

# the questions each journey's form asks, in order (domain/*.yml forms, the SMS-only check left out)
STEPS: Dict[str, Sequence[str]] = {
    "birth_registration": ("myinfo_consent", "birth_notification", "birth_child_name", "birth_ethnic_name",
                           "birth_child_sex", "birth_child_dob", "birth_dialects", "confirm_submission"),
    "baby_bonus": ("myinfo_consent", "bb_child", "bb_bank", "bb_account", "bb_trustee", "confirm_submission"),
    "book_appointment": ("myinfo_consent", "appointment_child", "appointment_service", "appointment_clinic",
                         "appointment_date", "appointment_slot", "confirm_submission"),
    "reschedule_appointment": ("appointment_pick", "appointment_date", "appointment_slot", "confirm_submission"),
    "cancel_appointment": ("appointment_pick", "confirm_submission"),
}
START_INTENT = {"birth_registration": "register_birth", "baby_bonus": "apply_baby_bonus",
                "book_appointment": "book_appointment", "reschedule_appointment": "reschedule_appointment",
                "cancel_appointment": "cancel_appointment"}
INPUT_CHANNEL = {"web": "socketio", "sms": "sms", "rest": "rest"}


@dataclass
class Plan:
    """One conversation with one journey in it."""
    journey: str
    lang: str = "en"
    channel: str = "web"
    completed: bool = True
    stop_at: Optional[str] = None   # abandoned: the question left unanswered
    fallbacks: int = 0              # messages the NLU did not understand, during the journey
    handoff: bool = False
    agency_error: bool = False
    seconds_per_turn: float = 20.0


def _user(text: str, intent: str, lang: str, channel: str, ts: float, confidence: float = 0.95) -> UserUttered:
    parse = {"intent": {"name": intent, "confidence": confidence}, "entities": [], "text": text, "language": lang,
             "intent_ranking": [{"name": intent, "confidence": confidence}]}
    return UserUttered(text, parse["intent"], [], parse_data=parse, input_channel=INPUT_CHANNEL.get(channel, channel),
                       timestamp=ts)


def events_for(plan: Plan, start: float) -> List[Event]:
    journey = BY_NAME[plan.journey]
    steps = list(STEPS[plan.journey])
    t = start
    tick = lambda dt=0.01: t + dt  # noqa: E731
    out: List[Event] = [ActionExecuted("action_session_start", timestamp=t), SessionStarted(timestamp=t),
                        SlotSet("language", plan.lang, timestamp=t), ActionExecuted("action_listen", timestamp=t)]
    out.append(_user(f"start {plan.journey}", START_INTENT[plan.journey], plan.lang, plan.channel, t))
    out += [ActionExecuted(journey.form, timestamp=tick()), ActiveLoop(journey.form, timestamp=tick()),
            SlotSet("requested_slot", steps[0], timestamp=tick()), ActionExecuted("action_listen", timestamp=tick())]
    fallbacks_left = plan.fallbacks
    for i, step in enumerate(steps):
        if not plan.completed and step == (plan.stop_at or steps[0]):
            if plan.handoff:
                t += plan.seconds_per_turn
                out += [_user("I want a person", "human_handoff", plan.lang, plan.channel, t),
                        ActionExecuted("action_human_handoff", timestamp=tick()), ActiveLoop(None, timestamp=tick())]
            return out
        while fallbacks_left:
            fallbacks_left -= 1
            t += plan.seconds_per_turn
            out += [_user("???", "nlu_fallback", plan.lang, plan.channel, t, confidence=0.2),
                    ActionExecuted("action_listen", timestamp=tick())]
        t += plan.seconds_per_turn
        out += [_user(f"answer {step}", "inform", plan.lang, plan.channel, t),
                ActionExecuted(journey.form, timestamp=tick()), SlotSet(step, True, timestamp=tick())]
        if step == "confirm_submission":
            if plan.agency_error:
                out.append(BotUttered("The agency is not answering", metadata={"utter_action": "utter_agency_unavailable"},
                                      timestamp=tick()))
                t += plan.seconds_per_turn
                out += [_user("yes", "affirm", plan.lang, plan.channel, t),
                        ActionExecuted(journey.form, timestamp=tick())]
            out += [SlotSet(journey.result_slot, {"reference": "XX-2026-000001"}, timestamp=tick()),
                    ActiveLoop(None, timestamp=tick()), SlotSet("requested_slot", None, timestamp=tick()),
                    SlotSet(journey.result_slot, None, timestamp=tick(0.02)),
                    ActionExecuted("action_listen", timestamp=tick(0.02))]
        else:
            out += [SlotSet("requested_slot", steps[i + 1], timestamp=tick()),
                    ActionExecuted("action_listen", timestamp=tick())]
    return out


def random_plan(rng: random.Random) -> Plan:
    journey = rng.choice(list(STEPS))
    completed = rng.random() < 0.6
    steps = STEPS[journey]
    return Plan(journey, lang=rng.choice(("en", "en", "zh", "ms", "ta")), channel=rng.choice(("web", "web", "sms")),
                completed=completed, stop_at=None if completed else rng.choice(steps),
                fallbacks=rng.choice((0, 0, 0, 1, 2)), handoff=rng.random() < 0.1, agency_error=rng.random() < 0.05,
                seconds_per_turn=rng.uniform(5, 60))


def rows_for(sender: str, events: List[Event], vault) -> List[dict]:
    """The rows PrivateSQLTrackerStore.save writes for these events (same columns, same `data`)."""
    from moments.privacy.events import at_rest

    rows = []
    for e in events:
        data = e.as_dict()
        stored, _ = at_rest(data, vault)
        intent = (stored.get("parse_data") or {}).get("intent", {}).get("name")
        rows.append({"sender_id": sender, "type_name": e.type_name, "timestamp": data.get("timestamp"),
                     "intent_name": intent, "action_name": stored.get("name"), "data": json.dumps(stored)})
    return rows
