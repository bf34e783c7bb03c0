"""Training data rules: every intent in every language, enough examples, held-out never trained on."""
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from rasa.shared.core.domain import Domain

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("en", "zh", "ms", "ta")
DOMAIN = Domain.load(str(ROOT / "domain")).as_dict()
# Intents as names (an intent with properties, e.g. `change_language: {use_entities: …}`, is a one-key dict).
INTENTS = [i if isinstance(i, str) else next(iter(i)) for i in DOMAIN["intents"]]
# Which intents are small talk, and the floors: one place, shared with `python -m moments.trainer validate`.
from moments.trainer.intent_kinds import HELDOUT_MIN, SMALL_TALK, SMALL_TALK_MIN, TASK_MIN  # noqa: E402


def examples(path: Path):
    out = defaultdict(list)
    for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        if "intent" in block:
            out[block["intent"]] += [l.strip()[2:].strip() for l in block["examples"].splitlines()
                                     if l.strip().startswith("- ")]
    return out


def norm(text: str) -> str:
    """Lower-case letters, marks and digits only: Tamil vowel signs (marks) are kept, so ஆமா != ஆம்."""
    return "".join(ch for ch in text.lower() if unicodedata.category(ch)[0] in "LMN")


TRAIN = {lang: examples(ROOT / "data" / "nlu" / f"{lang}.yml") for lang in LANGS}
HELDOUT = {lang: examples(ROOT / "tests" / "nlu" / "heldout" / f"{lang}.yml") for lang in LANGS}


@pytest.mark.parametrize("lang", LANGS)
def test_every_domain_intent_has_enough_examples(lang):
    for intent in INTENTS:
        n = len(TRAIN[lang].get(intent, []))
        floor = SMALL_TALK_MIN if intent in SMALL_TALK else TASK_MIN
        assert n >= floor, f"{lang}: intent {intent} has {n} examples, needs {floor}"


@pytest.mark.parametrize("lang", LANGS)
def test_no_intent_outside_the_domain(lang):
    assert set(TRAIN[lang]) <= set(INTENTS)
    assert set(HELDOUT[lang]) <= set(INTENTS)


def test_no_example_under_two_intents_across_all_languages():
    owner = {}
    for lang in LANGS:
        for intent, exs in TRAIN[lang].items():
            for ex in exs:
                key = norm(ex)
                assert owner.setdefault(key, intent) == intent, f"{ex!r} is under {owner[key]} and {intent}"


@pytest.mark.parametrize("lang", LANGS)
def test_heldout_is_never_trained_on(lang):
    trained = {norm(e) for lang_ in LANGS for exs in TRAIN[lang_].values() for e in exs}
    leaked = [e for exs in HELDOUT[lang].values() for e in exs if norm(e) in trained]
    assert not leaked, f"held-out examples also in training data: {leaked}"


@pytest.mark.parametrize("lang", LANGS)
def test_heldout_covers_every_intent(lang):
    for intent in INTENTS:
        assert len(HELDOUT[lang].get(intent, [])) >= HELDOUT_MIN, f"{lang}/{intent}"


def test_singapore_terms_and_code_mixing_are_in_the_data():
    text = {lang: "\n".join(e for exs in TRAIN[lang].values() for e in exs).lower() for lang in LANGS}
    for lang in LANGS:
        assert "singpass" in text[lang] and "cda" in text[lang], lang
    assert "polyclinic" in text["en"] and "baby bonus" in text["en"] and "6-in-1" in text["en"]
    assert "婴儿花红" in text["zh"] and "综合诊疗所" in text["zh"] and re.search(r"[\u4e00-\u9fff][a-z]", text["zh"])
    assert "bonus bayi" in text["ms"] and "nak apply" in text["ms"]
    assert "பேபி போனஸ்" in text["ta"] and re.search(r"[a-z]+ [\u0b80-\u0bff]", text["ta"])
