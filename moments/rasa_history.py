"""Rasa 3.6 costs that grow with the length of a conversation, removed without changing a prediction
(installed by moments.rasa_speedups in the Rasa server that moments/serve.py starts).

Measured with cProfile on one REST conversation of 120 turns (docs/profile-2026-12-04.md): loading the tracker and
the rule policy's states were 80 % of a late turn, and both walked every event of the session on every turn.

- **Event types.** `Event.resolve_by_type`, called for every stored event each time a tracker is loaded, walks all
  Event subclasses (`all_subclasses`, recursive, with an `inspect.isabstract` per class) to find one type name: 5.2 of
  the 9.6 s spent loading trackers. The answer is now remembered per type name; defining a new Event subclass (an
  import that adds one) forgets what was remembered, so the lookup returns what Rasa's walk would return.
- **The rule policy's states.** `RulePolicy._find_action_from_rules` turns every step of the session into a state
  (`Domain.states_for_tracker_history`: `get_active_state` per prior tracker, 2–3 times per prediction, 3 predictions
  a turn) and then matches its rules against the end of that list. `_is_rule_applicable` returns True for every
  state further back than a rule is long, so only the last `k` states decide which rules apply, where `k` is the
  longest learned rule. The policy now gets those last `k` states (the events before them are still replayed, which
  is cheap; states are only made for the last `k` steps). One thing in the result depends on the whole list: when no
  rule applies, the policy returns a key made of every state (`_create_feature_key`) and compares it with its
  "rules not in stories". When that happens for the intent (the key `RulePolicy._predict` uses), the look-up is
  made again the way Rasa makes it; from text, `_predict` reads the key only when a rule applied. So every
  prediction is Rasa's (tests/unit/test_rasa_history.py compares them on long conversations).

- **The memoization policy.** It learns from stories; this bot has none, so its look-up is empty and it predicts
  nothing, yet it made a state for every step of the session to look up (with rule-only turns hidden, a walk over
  all events). An empty MemoizationPolicy now answers its empty prediction straight away.

- **The garbage collector.** Its full passes walk every object in the process, the loaded model included: ~0.29 s
  each, more often as conversations grow. The model's objects are frozen (gc.freeze) once it serves, and unfrozen
  before another model loads. Memory management only: no object that a conversation can reach is touched.

MOMENTS_RASA_HISTORY_SPEEDUPS=0 (or MOMENTS_RASA_SPEEDUPS=0) turns these off.
"""
from __future__ import annotations

import contextvars
import copy
import logging
import os
from typing import Any, Dict, List, Optional, Text

logger = logging.getLogger(__name__)

# How many of the last states the rule policy being called needs (None: all, Rasa's behaviour).
_WINDOW: contextvars.ContextVar[Optional[int]] = contextvars.ContextVar("moments_rule_window", default=None)
_TRUNCATED: contextvars.ContextVar[bool] = contextvars.ContextVar("moments_rule_truncated", default=False)


def switched_on(env=os.environ) -> bool:
    off = ("0", "false", "no")
    return (env.get("MOMENTS_RASA_SPEEDUPS", "1").strip() not in off
            and env.get("MOMENTS_RASA_HISTORY_SPEEDUPS", "1").strip() not in off)


_ORIGINALS: Dict[tuple, Any] = {}  # (class, attribute) -> what the class had before install (uninstall puts it back)


def _patch(owner: Any, name: str, new: Any) -> None:
    if (owner, name) not in _ORIGINALS:
        _ORIGINALS[(owner, name)] = owner.__dict__.get(name, _ABSENT)
    setattr(owner, name, new)


_ABSENT = object()


def uninstall() -> None:
    """Rasa's own behaviour again in this process (tests compare the two)."""
    for (owner, name), original in _ORIGINALS.items():
        if original is _ABSENT:
            delattr(owner, name)
        else:
            setattr(owner, name, original)
    _ORIGINALS.clear()
    import gc

    gc.unfreeze()
    _freeze["pending"] = False
    _types.clear()
    _last_tail.clear()


# -- event types ---------------------------------------------------------------------------------------------------

_types: Dict[Text, Any] = {}


def install_event_types() -> None:
    from rasa.shared.core.events import Event

    if getattr(Event.resolve_by_type, "_moments", False):
        return
    original = Event.resolve_by_type
    missing = object()

    def resolve_by_type(type_name: Text, default=None):
        cls = _types.get(type_name, missing)
        if cls is missing:
            try:
                cls = original(type_name)
            except ValueError:
                cls = None  # unknown: not remembered as a class, Rasa's default / error below
            else:
                _types[type_name] = cls
        if cls is not None:
            return cls
        if type_name == "topic":
            return None
        if default is not None:
            return default
        raise ValueError(f"Unknown event name '{type_name}'.")

    previous_hook = Event.__dict__.get("__init_subclass__")

    def __init_subclass__(cls, **kwargs):  # a new event type: what was remembered may no longer be Rasa's answer
        _types.clear()
        if previous_hook is not None:
            previous_hook.__func__(cls, **kwargs)
        else:
            super(Event, cls).__init_subclass__(**kwargs)

    resolve_by_type._moments = True  # type: ignore[attr-defined]
    _patch(Event, "__init_subclass__", classmethod(__init_subclass__))
    _patch(Event, "resolve_by_type", staticmethod(resolve_by_type))


# -- the rule policy's states --------------------------------------------------------------------------------------

def tail_states(domain: Any, tracker: Any, k: int) -> Optional[List[Dict]]:
    """`domain.states_for_tracker_history(tracker)[-k:]` (no slots omitted, no rule-only turns ignored), making
    states only for the last k steps; None when the tracker has no more than k states."""
    from rasa.shared.core.events import ActionExecuted

    applied = tracker.applied_events()
    starts = [i for i, event in enumerate(applied) if isinstance(event, ActionExecuted)]
    if len(starts) + 1 <= k:
        return None
    first = len(starts) + 1 - k  # the first prior tracker wanted (the last one is the tracker after every event)
    cut = starts[first] if first < len(starts) else len(applied)
    prior = tracker.init_copy()
    for event in applied[:cut]:
        prior.update(event)
    states = []
    for event in applied[cut:]:
        if isinstance(event, ActionExecuted):
            states.append(domain._clean_state(domain.get_active_state(prior)))
        prior.update(event)
    states.append(domain._clean_state(domain.get_active_state(prior)))
    return states


_last_tail: list = []  # [(tracker, its length, its last event, domain, k, states)]: the rule policy asks twice a step


def tail_states_once(domain: Any, tracker: Any, k: int) -> Optional[List[Dict]]:
    """tail_states, remembered for the same tracker object (same length, same last event) and domain; the states are
    copied out, because the featurizer edits the last one in place."""
    events = tracker.events
    last = events[-1] if events else None
    hit = _last_tail[0] if _last_tail else None
    if hit and hit[0] is tracker and hit[1] == len(events) and hit[2] is last and hit[3] is domain and hit[4] == k:
        states = hit[5]
    else:
        states = tail_states(domain, tracker, k)
        _last_tail[:] = [(tracker, len(events), last, domain, k, states)]
    return copy.deepcopy(states)


def rule_window(policy: Any) -> int:
    """The length of the longest rule the policy learned (rules and loop unhappy-path conditions)."""
    from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH

    lookup = policy.lookup
    cached = getattr(policy, "_moments_window", None)
    if cached is not None and cached[0] is lookup:
        return cached[1]
    keys = list(lookup.get(RULES, {})) + list(lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {}))
    k = max([len(policy._rule_key_to_state(key)) for key in keys] or [1])
    policy._moments_window = (lookup, k)
    return k


def install_rule_window() -> None:
    from rasa.core.featurizers.tracker_featurizers import TrackerFeaturizer
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.trackers import DialogueStateTracker

    if getattr(RulePolicy._find_action_from_rules, "_moments", False):
        return
    original_find = RulePolicy._find_action_from_rules
    original_create = TrackerFeaturizer._create_states

    def _create_states(tracker, domain, omit_unset_slots: bool = False, ignore_rule_only_turns: bool = False,
                       rule_only_data=None):
        k = _WINDOW.get()
        if k is not None and not omit_unset_slots and not ignore_rule_only_turns \
                and type(tracker) is DialogueStateTracker:
            states = tail_states_once(domain, tracker, k)
            if states is not None:
                _TRUNCATED.set(True)
                return states
        return original_create(tracker, domain, omit_unset_slots=omit_unset_slots,
                               ignore_rule_only_turns=ignore_rule_only_turns, rule_only_data=rule_only_data)

    def _find_action_from_rules(self, tracker, domain, use_text_for_last_user_input: bool):
        window, truncated = _WINDOW.set(rule_window(self)), _TRUNCATED.set(False)
        try:
            found = original_find(self, tracker, domain, use_text_for_last_user_input)
            was_truncated = _TRUNCATED.get()
        finally:
            _WINDOW.reset(window)
            _TRUNCATED.reset(truncated)
        if found[0] is None and was_truncated and not use_text_for_last_user_input:
            # no rule applies: the key returned is made of all states (see the module's docstring): Rasa's way.
            # (From text, RulePolicy._predict reads the key only when an action was found.)
            return original_find(self, tracker, domain, use_text_for_last_user_input)
        return found

    _find_action_from_rules._moments = True  # type: ignore[attr-defined]
    _patch(RulePolicy, "_find_action_from_rules", _find_action_from_rules)
    _patch(TrackerFeaturizer, "_create_states", staticmethod(_create_states))  # a staticmethod in Rasa too


# -- the memoization policy ---------------------------------------------------------------------------------------

def install_memoization_shortcut() -> None:
    """A MemoizationPolicy that memorised nothing (our model: rules only, no stories) predicts nothing, whatever the
    states: its answer is made without making them (they were a third of a prediction in a long conversation)."""
    from rasa.core.policies.memoization import MemoizationPolicy

    if getattr(MemoizationPolicy.predict_action_probabilities, "_moments", False):
        return
    original = MemoizationPolicy.predict_action_probabilities

    def predict_action_probabilities(self, tracker, domain, rule_only_data=None, **kwargs):
        if type(self) is MemoizationPolicy and not self.lookup:  # recall() finds nothing in an empty lookup
            return self._prediction(self._default_predictions(domain))
        return original(self, tracker, domain, rule_only_data=rule_only_data, **kwargs)

    predict_action_probabilities._moments = True  # type: ignore[attr-defined]
    _patch(MemoizationPolicy, "predict_action_probabilities", predict_action_probabilities)


# -- the garbage collector ----------------------------------------------------------------------------------------

_freeze = {"pending": False}


def install_gc_freeze() -> None:
    """The objects of the loaded model moved out of the collector's sight (gc.freeze) once the model serves: a full
    collection then walks what conversations allocate, not the whole model (~0.29 s per full pass measured in a
    long conversation, docs/profile-2026-12-04.md). Before another model loads (PUT /model) they are handed back
    (gc.unfreeze), so the old model is freed as before; the freeze waits for the first message after a load, when
    the server has let the old model go."""
    import gc

    from rasa.core.agent import Agent
    from rasa.core.processor import MessageProcessor

    if getattr(Agent.load_model, "_moments", False):
        return
    original_load, original_handle = Agent.load_model, MessageProcessor.handle_message

    def load_model(self, *args, **kwargs):
        gc.unfreeze()
        _freeze["pending"] = False
        try:
            return original_load(self, *args, **kwargs)
        finally:
            _freeze["pending"] = True

    async def handle_message(self, message):
        if _freeze["pending"]:
            _freeze["pending"] = False
            gc.collect()
            gc.freeze()
        return await original_handle(self, message)

    load_model._moments = True  # type: ignore[attr-defined]
    _patch(Agent, "load_model", load_model)
    _patch(MessageProcessor, "handle_message", handle_message)


def install() -> bool:
    if not switched_on():
        logger.info("Rasa history speed-ups off")
        return False
    install_event_types()
    install_rule_window()
    install_memoization_shortcut()
    install_gc_freeze()
    return True
