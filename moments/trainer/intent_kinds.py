"""Which intents are small talk and how many examples each kind needs — the one place for these rules.

tests/unit/test_nlu_data.py and `python -m moments.trainer validate` both read them from here.
"""
from __future__ import annotations

# Short social turns: fewer ways to say them, so a lower floor.
SMALL_TALK = frozenset({"greet", "goodbye", "thank", "affirm", "deny", "help", "stop"})

TASK_MIN = 20        # training examples per language for a task intent (everything not small talk)
SMALL_TALK_MIN = 12  # training examples per language for a small-talk intent
HELDOUT_MIN = 4      # held-out (test) examples per intent per language, never trained on


def is_small_talk(intent: str) -> bool:
    return intent in SMALL_TALK


def min_examples(intent: str) -> int:
    """How many training examples `intent` needs in each language."""
    return SMALL_TALK_MIN if is_small_talk(intent) else TASK_MIN
