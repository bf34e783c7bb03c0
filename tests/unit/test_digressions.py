"""The digression intents are declared once (actions/shared/form.py DIGRESSION_INTENTS); every slot mapping in the
domain that keeps digressions out of a form (`not_intent`) lists exactly those, but for the declared exceptions."""
from __future__ import annotations

from pathlib import Path

import yaml

from actions.shared.form import DIGRESSION_INTENTS

ROOT = Path(__file__).resolve().parents[2]


def not_intent_lists() -> dict:
    """{"<file>: <slot> mapping <n>": set of intents} for every slot mapping of a form (conditioned on an
    active_loop) with a not_intent list. (The `language` slot's not_intent is about that slot, not a form.)"""
    found = {}
    for path in sorted((ROOT / "domain").rglob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for slot, spec in (data.get("slots") or {}).items():
            for n, mapping in enumerate((spec or {}).get("mappings") or [], start=1):
                in_form = any("active_loop" in c for c in mapping.get("conditions") or [])
                if "not_intent" in mapping and in_form:
                    found[f"{path.name}: {slot} mapping {n}"] = set(mapping["not_intent"] or [])
    return found


# A form's question about a topic takes that topic's intent as its answer, so that intent cannot be a digression
# there: "What is the appointment for?" -> "vaccination for my baby" (ask_vaccination_schedule) is the answer, and in
# the Baby Bonus info form a follow-up Baby Bonus question (ask_baby_bonus) is handled by the form itself.
ANSWERED_BY_ITS_OWN_TOPIC = {
    "appointments.yml: appointment_service mapping 1": {"ask_vaccination_schedule"},
    "baby_bonus.yml: bb_info_consent mapping 1": {"ask_baby_bonus"},
}


def mismatches() -> dict:
    out = {}
    for where, got in not_intent_lists().items():
        expected = DIGRESSION_INTENTS - ANSWERED_BY_ITS_OWN_TOPIC.get(where, set())
        if got != expected:
            out[where] = {"missing": sorted(expected - got), "extra": sorted(got - expected)}
    return out


def test_the_domain_has_not_intent_lists_to_check():
    assert len(not_intent_lists()) >= 10
    assert set(ANSWERED_BY_ITS_OWN_TOPIC) <= set(not_intent_lists())  # the exceptions still exist


def test_every_not_intent_list_is_the_declared_digressions():
    assert mismatches() == {}
