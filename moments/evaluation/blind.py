"""The blind test set (tests/nlu/fresh/<lang>.yml): written by someone who has never seen the training data or
the held-out split, and never used for error analysis.

`make eval` reports only its aggregates (accuracy, macro-F1, confident errors, language ID, the calibrated
fallback share). Nothing prints, logs or writes its misclassified messages except `make eval` with
`--reveal-blind`, which also writes tests/nlu/fresh/SPENT: from then on the set has been looked at, every run
warns, and the set must be rewritten by someone who has not seen the training data (then delete SPENT).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from moments.evaluation.heldout import FRESH_DIR, LANGS, load_heldout

SPENT_NAME = "SPENT"


def available(directory: Optional[Path] = None) -> Dict[str, List[Tuple[str, str]]]:
    """{lang: [(text, intent)]} for the languages whose blind file exists (empty when there is no blind set)."""
    directory = directory or FRESH_DIR
    if not directory.is_dir():
        return {}
    return {lang: load_heldout(lang, directory) for lang in LANGS if (directory / f"{lang}.yml").exists()}


def spent(directory: Optional[Path] = None) -> Optional[str]:
    """The SPENT marker's text (when the blind set's misses were revealed), else None."""
    marker = (directory or FRESH_DIR) / SPENT_NAME
    return marker.read_text(encoding="utf-8").strip() or "(no date)" if marker.exists() else None


def spent_warning(directory: Optional[Path] = None) -> Optional[str]:
    directory = directory or FRESH_DIR
    when = spent(directory)
    if when is None:
        return None
    return (f"WARNING: the blind set {directory} has been looked at ({when}): its figures are no longer blind. "
            "It must be rewritten by someone who has not seen the training data or its misses; "
            f"then delete {directory / SPENT_NAME}.")


def mark_spent(directory: Optional[Path] = None, now: Optional[dt.datetime] = None) -> Path:
    marker = (directory or FRESH_DIR) / SPENT_NAME
    stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    marker.write_text(f"misses revealed by make eval --reveal-blind on {stamp}\n", encoding="utf-8")
    return marker
