"""When the action server is down or slow, the citizen is told, in their language, and nothing raw is kept.

Rasa 3.6 on its own (rasa/core/actions/action.py, rasa/core/processor.py):
- an unreachable action server raises inside `RemoteAction.run`; the processor logs it and the turn's events are
  `[]`, so the REST reply is `200 []` and the user sees nothing;
- a hung action server is waited for `DEFAULT_REQUEST_TIMEOUT` = 300 s, longer than a lock lives, so a second
  message runs concurrently with the first;
- in a form, `action_extract_slots` has already set the slot from the raw message before the form's validation
  action is called, so when that call fails the raw answer stays in the slot, unvalidated.

Installed by moments/serve.py in the Rasa server's process:
- every call to the action server has a deadline (`MOMENTS_ACTION_TIMEOUT`, default 8 s: the agency client's own 5 s
  timeout plus its one look-up fits inside it, and the citizen hears back within ~10 s);
- a call that fails (connection refused, timeout, 5xx) becomes `utter_action_server_down` ("something went wrong on
  our side, your answers are kept, try again") in the conversation's language;
- a failed form validation puts back each slot set since the user's message to the value it had before it, so an
  unvalidated answer never stays in a form, and an answer given earlier is kept;
- a failed custom `action_session_start` falls back to Rasa's own session start, so the conversation still opens.

An action that did its work at an agency but whose reply arrived late is safe to repeat: every submission carries an
idempotency key derived from the conversation (see actions/), so "yes" again finds the same record.
"""
from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Dict, List, Optional, Text

logger = logging.getLogger(__name__)

FALLBACK_RESPONSE = "utter_action_server_down"
DEFAULT_TIMEOUT_S = 8.0


def action_timeout(env=os.environ) -> float:
    """Seconds Rasa waits for one action-server call (MOMENTS_ACTION_TIMEOUT; 1–60, default 8)."""
    raw = env.get("MOMENTS_ACTION_TIMEOUT", "").strip()
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError:
        logger.warning("MOMENTS_ACTION_TIMEOUT=%r is not a number; using %s s", raw, DEFAULT_TIMEOUT_S)
        return DEFAULT_TIMEOUT_S
    return min(max(value, 1.0), 60.0)


def slots_to_restore(events: List[Any], slots: Optional[set] = None) -> Dict[Text, Any]:
    """Slots set after the latest user message, mapped to the value each had before that message.

    `events` are a tracker's events, oldest first (Rasa event objects). Values set before the latest SessionStarted
    do not count: a session start resets the slots.
    """
    from rasa.shared.core.events import SessionStarted, SlotSet, UserUttered

    last_user = max((i for i, e in enumerate(events) if isinstance(e, UserUttered)), default=-1)
    if last_user < 0:
        return {}
    changed = {e.key for e in events[last_user + 1:] if isinstance(e, SlotSet)}
    if slots is not None:
        changed &= slots
    since = max((i for i, e in enumerate(events[:last_user]) if isinstance(e, SessionStarted)), default=0)
    before: Dict[Text, Any] = {name: None for name in changed}
    for e in events[since:last_user]:
        if isinstance(e, SlotSet) and e.key in before:
            before[e.key] = e.value
    return before


def form_slots(action_name: Text, tracker: Any, domain: Any) -> set:
    """The slots of the form this call serves: `validate_<form>`'s form, or the active one."""
    form = action_name[len("validate_"):] if action_name.startswith("validate_") else tracker.active_loop_name
    if not form or form not in domain.form_names:
        return set()
    return set(domain.required_slots_for_form(form))


async def fallback_events(action_name: Text, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Any]:
    """What the turn gets instead of the failed action: the apology (once a turn), and no unvalidated slot."""
    from rasa.core.actions.action import ActionSessionStart, create_bot_utterance
    from rasa.shared.core.constants import ACTION_SESSION_START_NAME
    from rasa.shared.core.events import BotUttered, SlotSet, UserUttered

    if action_name == ACTION_SESSION_START_NAME:
        return await ActionSessionStart().run(output_channel, nlg, tracker, domain)
    events: List[Any] = []
    message = await nlg.generate(FALLBACK_RESPONSE, tracker, output_channel.name())
    this_turn: List[Any] = []
    for event in reversed(list(tracker.events)):
        if isinstance(event, UserUttered):
            break
        this_turn.append(event)
    said = {e.text for e in this_turn if isinstance(e, BotUttered)}
    if message and message.get("text") not in said:
        events.append(create_bot_utterance(message))
    slots = form_slots(action_name, tracker, domain)
    if slots:
        restore = slots_to_restore(list(tracker.events), slots)
        events.extend(SlotSet(name, value) for name, value in restore.items() if tracker.get_slot(name) != value)
    return events


def install(env=os.environ) -> None:
    """Patches RemoteAction in this process (the Rasa server started by moments.serve)."""
    import aiohttp
    import rasa.core.actions.action as action_module
    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
    from rasa.shared.exceptions import RasaException

    timeout = action_timeout(env)
    action_module.DEFAULT_REQUEST_TIMEOUT = timeout  # read by RemoteAction.run at call time
    original_run = RemoteAction.run
    if getattr(original_run, "_moments_resilient", False):
        return

    async def run(self, output_channel, nlg, tracker, domain):  # noqa: ANN001 - Rasa's own signature
        try:
            return await original_run(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise  # the action itself declined; Rasa's policies handle it
        except (RasaException, asyncio.TimeoutError, aiohttp.ClientError) as e:
            cause = e.__cause__ or e
            logger.error("action server call for %s failed (%s); the user is told to try again",
                         self.name(), type(cause).__name__)
            return await fallback_events(self.name(), output_channel, nlg, tracker, domain)

    run._moments_resilient = True  # type: ignore[attr-defined]
    RemoteAction.run = run
    logger.info("action server calls time out after %.0f s", timeout)
