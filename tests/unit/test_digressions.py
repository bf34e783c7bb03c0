"""The digression intents are declared once (actions/shared/form.py DIGRESSION_INTENTS); every slot mapping in the
domain that keeps digressions out of a form (`not_intent`) lists exactly those."""
from __future__ import annotations

from pathlib import Path

import pytest
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


def mismatches() -> dict:
    return {where: {"missing": sorted(DIGRESSION_INTENTS - got), "extra": sorted(got - DIGRESSION_INTENTS)}
            for where, got in not_intent_lists().items() if got != DIGRESSION_INTENTS}


def test_the_domain_has_not_intent_lists_to_check():
    assert len(not_intent_lists()) >= 10


# domain/ belongs to another helper this session: the two lists that disagree are reported, not edited here. When
# they are fixed this test passes, strict xfail fails it, and this marker is to be removed.
@pytest.mark.xfail(strict=True, reason="domain/ disagrees with DIGRESSION_INTENTS: appointments.yml "
                   "appointment_service lacks ask_vaccination_schedule; baby_bonus.yml bb_info_consent lacks "
                   "ask_baby_bonus")
def test_every_not_intent_list_is_the_declared_digressions():
    assert mismatches() == {}
