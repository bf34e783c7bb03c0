"""The blind set (tests/nlu/fresh/, never trained on, never used for error analysis) through the real server's
/model/parse: a floor per language for intent accuracy and language ID.

Failure messages give counts only, never the messages: a test that printed its misses would spend the set
(see moments/evaluation/blind.py). `make eval --reveal-blind` is the one way to see them, and it marks the set as
spent. `make eval` measures the same set against the issue's 0.95 target; this floor catches a bad regression.
"""
from dataclasses import dataclass

import pytest
import requests

from moments.evaluation import blind, metrics
from moments.evaluation.heldout import LANGS, LanguageResult

pytestmark = pytest.mark.slow

# The blind set measured with the model trained from this data on 3 Dec 2026 (`make eval`, README "NLU benchmark"):
# intent accuracy worst 0.891 (Tamil), language ID worst 0.955 (English) — minus a margin of about five messages in
# 138, so retraining noise passes and a real regression does not. Raise them as the data improves.
ACCURACY_FLOOR = 0.85
LANGUAGE_ID_FLOOR = 0.92  # on messages the detector can judge: 3+ Latin words, any Han or Tamil script

BLIND = blind.available()


@dataclass(frozen=True)
class BlindCounts:
    """What a test may keep of the blind set: counts, never a message (not even in --showlocals output)."""

    n: int
    wrong: int
    language_hits: int
    judgeable: int

    @property
    def accuracy(self) -> float:
        return (self.n - self.wrong) / self.n if self.n else 0.0


@pytest.fixture(scope="module")
def counts(servers):
    session = requests.Session()
    out = {}
    for lang, pairs in BLIND.items():
        res = LanguageResult(lang)
        for text, intent in pairs:
            body = session.post(f"{servers.rasa_url}/model/parse", json={"text": text},
                                params={"token": servers.rasa_token}, timeout=30).json()
            res.add_parse(text, intent, body)
        hits, judgeable = metrics.language_id_judgeable(res)
        out[lang] = BlindCounts(len(res.gold), len(res.misclassified()), hits, judgeable)
        del res
    return out


def _blind(lang):
    if lang not in BLIND:
        pytest.skip(f"no blind set for {lang} (tests/nlu/fresh/{lang}.yml)")


@pytest.mark.parametrize("lang", LANGS)
def test_blind_intent_accuracy_floor(counts, lang):
    _blind(lang)
    c = counts[lang]
    assert c.accuracy >= ACCURACY_FLOOR, (
        f"{lang}: {c.wrong} of {c.n} blind messages misclassified (accuracy {c.accuracy:.3f} < {ACCURACY_FLOOR}); "
        "the blind set's messages are not shown (make eval REVEAL_BLIND=1 shows them and spends the set)")


@pytest.mark.parametrize("lang", LANGS)
def test_blind_language_identification_floor(counts, lang):
    _blind(lang)
    c = counts[lang]
    assert c.judgeable and c.language_hits / c.judgeable >= LANGUAGE_ID_FLOOR, (
        f"{lang}: language detected right on {c.language_hits} of {c.judgeable} judgeable blind messages "
        f"(< {LANGUAGE_ID_FLOOR})")
