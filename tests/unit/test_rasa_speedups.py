"""moments.rasa_speedups: the action call carries the domain without its responses, and the reply check refuses
what Rasa's schema refused for the shapes Rasa relies on."""
from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import ValidationError
from rasa.shared.core.domain import Domain

from moments.rasa_speedups import check_action_result, slim_domain

ROOT = Path(__file__).resolve().parents[2]


def test_the_domain_sent_to_actions_has_slots_and_forms_but_not_the_responses():
    domain = Domain.load(str(ROOT / "domain"))
    slim = slim_domain(domain)
    assert "responses" not in slim
    assert slim["slots"] == domain.as_dict()["slots"] and slim["forms"] == domain.as_dict()["forms"]
    assert slim_domain(domain) is slim  # computed once per loaded domain
    assert len(repr(slim)) < len(repr(domain.as_dict())) / 3


@pytest.mark.parametrize("reply", [
    {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"response": "utter_greet"}]},
    {"events": [], "responses": []},
    {},
])
def test_well_formed_replies_pass(reply):
    assert check_action_result(reply) is True


@pytest.mark.parametrize("reply", [
    [], "ok", None,
    {"events": {"event": "slot"}},
    {"events": [{"name": "x"}]},
    {"events": ["slot"]},
    {"responses": "utter_greet"},
    {"responses": ["utter_greet"]},
])
def test_malformed_replies_raise_the_error_rasa_handles(reply):
    with pytest.raises(ValidationError):
        check_action_result(reply)
