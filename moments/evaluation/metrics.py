"""Metrics of `make eval` beyond accuracy: confident errors, language ID on real sentences, calibration.

All of them read a `LanguageResult` (moments.evaluation.heldout) and use the *classifier's own* top intent and
confidence (`top_two[0]`, the ranking without FallbackClassifier's `nlu_fallback`), because that is what a
fallback threshold acts on: at threshold t the bot answers a message whose top confidence is >= t and falls back
("sorry, did you mean …?") below it.

- **confident error**: the top intent is wrong and its confidence is >= 0.8 — the bot does the wrong thing
  without hesitating. Reported as a share of all messages of the language.
- **language ID on 3+ words**: the detector is meant to say None on "ok", "1" or a name, so the plain
  language-ID accuracy is a lower bound. This one counts only messages it should be able to judge: Latin-script
  messages of three or more words, and every message with Han or Tamil script.
- **calibration curve**: for thresholds 0.3 … 0.9, the share of messages answered, the accuracy of the answered
  and the confident-error rate at that threshold (wrong and answered, as a share of all messages).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, List, Sequence, Tuple

from moments.nlu.scripts import count_scripts

CONFIDENT = 0.8
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
MAX_CONFIDENT_ERRORS = 0.01  # the target: confident errors <= 1 % in every language
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


def top_intent(result, i: int) -> Tuple[str, float]:
    """(intent, confidence) the classifier ranked first for message i (("", 0.0) when it gave no ranking)."""
    ranking = result.top_two[i] if i < len(result.top_two) else ()
    return tuple(ranking[0]) if ranking else ("", 0.0)  # type: ignore[return-value]


def _pairs(results) -> List[Tuple[str, str, float]]:
    """[(gold, top intent, confidence)] over one LanguageResult or several."""
    if hasattr(results, "gold"):
        results = [results]
    out = []
    for r in results:
        for i, gold in enumerate(r.gold):
            intent, confidence = top_intent(r, i)
            out.append((gold, intent, confidence))
    return out


def confident_errors(results, threshold: float = CONFIDENT) -> Tuple[int, int]:
    """(wrong with confidence >= threshold, all messages)."""
    pairs = _pairs(results)
    return sum(g != p and c >= threshold for g, p, c in pairs), len(pairs)


def confident_error_rate(results, threshold: float = CONFIDENT) -> float:
    wrong, n = confident_errors(results, threshold)
    return wrong / n if n else 0.0


def judgeable(text: str) -> bool:
    """A message the language detector should be able to judge: Han or Tamil script, or 3+ Latin words."""
    counts = count_scripts(text or "")
    if counts.han or counts.tamil:
        return True
    return len(_WORD.findall(text or "")) >= 3


def language_id_judgeable(result) -> Tuple[int, int]:
    """(detected as the file's language, judgeable messages) — see `judgeable`."""
    hits = n = 0
    for text, detected in zip(result.texts, result.detected):
        if judgeable(text):
            n += 1
            hits += detected == result.lang
    return hits, n


def language_id_judgeable_accuracy(result) -> float:
    hits, n = language_id_judgeable(result)
    return hits / n if n else 1.0


@dataclass(frozen=True)
class CalibrationPoint:
    threshold: float
    n: int
    answered: float  # share of messages whose top confidence >= threshold
    accuracy_answered: float  # share of those whose top intent is right (1.0 when none answered)
    confident_error_rate: float  # wrong and answered, as a share of all messages

    @property
    def fallback(self) -> float:
        return 1.0 - self.answered


def calibration_point(results, threshold: float) -> CalibrationPoint:
    pairs = _pairs(results)
    answered = [(g, p) for g, p, c in pairs if c >= threshold]
    right = sum(g == p for g, p in answered)
    n = len(pairs)
    return CalibrationPoint(
        threshold=threshold,
        n=n,
        answered=len(answered) / n if n else 0.0,
        accuracy_answered=right / len(answered) if answered else 1.0,
        confident_error_rate=(len(answered) - right) / n if n else 0.0,
    )


def calibration_curve(results, thresholds: Sequence[float] = THRESHOLDS) -> List[CalibrationPoint]:
    return [calibration_point(results, t) for t in thresholds]


def choose_threshold(per_language_curves: Iterable[Sequence[CalibrationPoint]],
                     max_error: float = MAX_CONFIDENT_ERRORS) -> Tuple[float, str]:
    """The fallback threshold read off the held-out curves, and why.

    The lowest threshold (the most messages answered) at which *every* language's error rate among all its
    messages (wrong and answered) is <= `max_error`. When no threshold gets there, the one with the lowest
    worst-language error rate (the higher threshold on a tie), and the reason says the target is not met.
    """
    curves = [list(c) for c in per_language_curves]
    if not curves or not curves[0]:
        raise ValueError("no calibration points")
    thresholds = [p.threshold for p in curves[0]]
    worst = {t: max(c[i].confident_error_rate for c in curves) for i, t in enumerate(thresholds)}
    for t in thresholds:  # ascending
        if worst[t] <= max_error:
            return t, (f"lowest threshold at which every language answers wrongly <= {max_error:.0%} "
                       f"of its messages (worst {worst[t]:.1%})")
    best = min(thresholds, key=lambda t: (worst[t], -t))
    return best, (f"no threshold keeps wrong answers <= {max_error:.0%} in every language; "
                  f"this one has the lowest worst-language rate ({worst[best]:.1%})")
