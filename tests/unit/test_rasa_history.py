"""moments.rasa_history changes no prediction: the rule and memoization policies of the trained model answer every
step of recorded conversations (a birth registration, long Baby Bonus / thanks conversations logged in and not, and
the same with reverted turns and a restart) exactly as Rasa's own code does, and events load as the same classes.

The recorded conversations (data/long_conversations.json.gz) are real trackers of the test stack, cut to what the
policies read (intents, entities, actions, slots, loops); the people in them are the seeded test parents."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import rasa.shared.utils.common
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActionReverted, Event, Restarted, SlotSet, UserUttered,
                                     UserUtteranceReverted)
from rasa.shared.core.trackers import DialogueStateTracker

from moments import rasa_history

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "moments.tar.gz"
RECORDED = Path(__file__).parent / "data" / "long_conversations.json.gz"


@pytest.fixture
def installed():
    rasa_history.install_event_types()
    rasa_history.install_rule_window()
    rasa_history.install_memoization_shortcut()
    yield
    rasa_history.uninstall()


def recorded_events():
    conversations = json.loads(gzip.decompress(RECORDED.read_bytes()))
    out = [[Event.from_parameters(e) for e in conversation] for conversation in conversations]
    longest = max(out, key=len)
    # the same with a reverted user turn, a reverted action and a restart in the middle
    cut = len(longest) // 3
    out.append(longest[:cut] + [UserUtteranceReverted()] + longest[cut:2 * cut] + [ActionReverted()]
               + longest[2 * cut:2 * cut + 20] + [Restarted()] + longest[2 * cut + 20:])
    return out


def walk(events, domain):
    """The tracker at every step a policy predicts (after each action and each user message)."""
    tracker = DialogueStateTracker("t", domain.slots)
    for event in events:
        tracker.update(event)
        if isinstance(event, (ActionExecuted, UserUttered)):
            yield tracker


def test_event_types_resolve_as_rasas_walk_does(installed):
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        expected = next(c for c in rasa.shared.utils.common.all_subclasses(Event) if c.type_name == cls.type_name)
        assert Event.resolve_by_type(cls.type_name) is expected
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no such event", SlotSet) is SlotSet
    with pytest.raises(ValueError):
        Event.resolve_by_type("no such event")


def test_a_new_event_type_forgets_what_was_remembered(installed):
    Event.resolve_by_type("slot")
    assert rasa_history._types

    class Custom(SlotSet):  # noqa: F841 - defining it is the point
        type_name = "moments_test_custom"

    assert not rasa_history._types
    assert Event.resolve_by_type("moments_test_custom").__name__ == "Custom"


def test_tail_states_are_the_end_of_all_states():
    domain = Domain.load(str(ROOT / "domain"))
    for events in recorded_events():
        for i, tracker in enumerate(walk(events, domain)):
            if i % 3:
                continue
            full = domain.states_for_tracker_history(tracker)
            for k in (1, 2, 5, 9):
                tail = rasa_history.tail_states(domain, tracker, k)
                assert tail == (full[-k:] if len(full) > k else None)


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (make train)")
def test_the_policies_predict_what_rasa_predicts_at_every_step():
    from rasa.core.agent import Agent
    from rasa.core.policies.memoization import MemoizationPolicy
    from rasa.core.policies.rule_policy import RulePolicy

    agent = Agent.load(str(MODEL))
    domain = agent.domain
    policies = [n._component for n in agent.processor.graph_runner._instantiated_nodes.values()
                if isinstance(n._component, (RulePolicy, MemoizationPolicy))]
    assert {type(p) for p in policies} == {RulePolicy, MemoizationPolicy}
    rule_only = next(p for p in policies if type(p) is RulePolicy)._get_rule_only_data()

    rules = next(p for p in policies if type(p) is RulePolicy)

    def predictions():
        out = []
        for events in recorded_events():
            for tracker in walk(events, domain):
                for policy in policies:
                    pred = policy.predict_action_probabilities(tracker, domain, rule_only_data=rule_only)
                    out.append((type(pred).__name__, pred.probabilities, pred.events, pred.hide_rule_turn,
                                pred.is_end_to_end_prediction, pred.is_no_user_prediction, pred.policy_name))
                # the rule look-up itself, from the intent (all it returns) and from text (what _predict reads)
                out.append(rules._find_action_from_rules(tracker, domain, False))
                text = rules._find_action_from_rules(tracker, domain, True)
                out.append((text[0], text[2], text[1] if text[0] else None))
        return out

    rasas = predictions()
    rasa_history.install_rule_window()
    rasa_history.install_memoization_shortcut()
    try:
        ours = predictions()
        real_window = rasa_history.rule_window
        rasa_history.rule_window = lambda policy: 1  # too short: these conversations must show the difference
        try:
            too_short = predictions()
        finally:
            rasa_history.rule_window = real_window
    finally:
        rasa_history.uninstall()
    assert len(ours) == len(rasas) > 500
    assert max(len(domain.states_for_tracker_history(t)) for e in recorded_events() for t in walk(e, domain)) > 100
    assert ours == rasas
    assert too_short != rasas
