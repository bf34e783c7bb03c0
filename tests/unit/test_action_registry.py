"""rasa-sdk registers the actions from the journey folders: every custom action and form validation the domain
names is served by `python -m moments.serve actions` (`--actions actions`)."""
from __future__ import annotations

from pathlib import Path

import yaml
from rasa_sdk.executor import ActionExecutor

ROOT = Path(__file__).resolve().parents[2]


def domain_names() -> tuple:
    actions, forms = set(), set()
    for path in sorted((ROOT / "domain").rglob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        actions |= {a for a in data.get("actions") or [] if isinstance(a, str) and not a.startswith("utter_")}
        forms |= set(data.get("forms") or {})
    return actions, forms


def registered() -> set:
    executor = ActionExecutor()
    executor.register_package("actions")
    return set(executor.actions)


def test_every_action_in_the_domain_is_registered_from_the_journey_folders():
    actions, _ = domain_names()
    assert actions, "the domain lists custom actions"
    assert sorted(actions - registered()) == []


def test_the_journey_forms_have_their_validation_registered():
    _, forms = domain_names()
    journeys = {"birth_registration_form", "baby_bonus_form", "baby_bonus_info_form", "book_appointment_form",
                "reschedule_appointment_form", "cancel_appointment_form"}
    assert journeys <= forms
    assert {f"validate_{form}" for form in journeys} <= registered()


def test_no_base_class_is_registered_as_an_action():
    assert not {name for name in registered() if not name.startswith(("action_", "validate_"))}
