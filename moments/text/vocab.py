"""Short answers and small words, per language, that every journey reads the same way.

Each vocabulary is kept per language (a reviewer for Tamil reads one list) and compared as one set: a parent may
answer in another language than the conversation's, and "ok" / "cancel" are typed in every language.
Answers are compared after `normalise_answer` (trimmed, lower case, no closing punctuation).
"""
from __future__ import annotations

from typing import Dict, FrozenSet, Iterable

from moments.text.normalise import normalise_answer

Vocabulary = Dict[str, FrozenSet[str]]


def _all(vocabulary: Vocabulary) -> FrozenSet[str]:
    return frozenset().union(*vocabulary.values())


def _v(**by_language: Iterable[str]) -> Vocabulary:
    return {lang: frozenset(words) for lang, words in by_language.items()}


# Inside a form a bare "cancel" means "stop this" (the NLU may read 取消 / batal / ரத்து as cancel_appointment, or
# take ரத்து for a child's name). Button payload /stop too.
STOP: Vocabulary = _v(
    en={"stop", "stop it", "cancel", "cancel it", "quit", "exit", "never mind", "nevermind", "/stop"},
    zh={"取消", "停止", "算了", "不要了", "不用了", "不办了"},
    ms={"batal", "batalkan", "berhenti", "tak jadi", "tak payah"},
    ta={"ரத்து", "ரத்து செய்", "நிறுத்து", "நிறுத்துங்கள்", "வேண்டாம் நிறுத்து"},
)
YES: Vocabulary = _v(
    en={"yes", "y", "yah", "yeah", "yep", "ok", "okay", "sure", "confirm", "correct"},
    zh={"好", "好的", "是", "是的", "对", "可以", "确认"},
    ms={"ya", "boleh", "betul", "setuju"},
    ta={"சரி", "ஆம்", "ஆமா", "உறுதி"},
)
NO: Vocabulary = _v(
    en={"no", "n", "nope", "nah"},
    zh={"不", "不是", "不要", "不用", "否"},
    ms={"tak", "tidak", "bukan", "tak nak"},
    ta={"இல்லை", "இல்ல", "வேண்டாம்"},
)
# "Nothing to put here" for an optional question.
SKIP: Vocabulary = _v(
    en={"skip", "none", "no", "nil", "na", "n/a", "-"},
    zh={"跳过", "没有", "不用", "无"},
    ms={"tiada", "takde", "tak ada", "langkau"},
    ta={"இல்லை", "தவிர்", "வேண்டாம்"},
)

STOP_WORDS = _all(STOP)
YES_WORDS = _all(YES)
NO_WORDS = _all(NO)
SKIP_WORDS = _all(SKIP)

# Words inside Singapore names that are not a given name or a surname: skipped when matching a name to a person.
NAME_PARTICLES = frozenset({"bin", "binte", "binti", "bte", "s/o", "d/o", "a/l", "a/p", "so", "do", "al", "ap"})
# Words a name keeps in lower case when the rest gets capitals ("tan bin ali" → "Tan bin Ali").
LOWER_CASE_NAME_WORDS = frozenset({"bin", "binte", "binti", "bte", "s/o", "d/o", "a/l", "a/p", "@", "de", "da", "van",
                                   "von"})


def is_stop(text: object) -> bool:
    """A bare stop word in any of the four languages ('cancel', '取消', 'batal', 'ரத்து')."""
    return isinstance(text, str) and normalise_answer(text) in STOP_WORDS


def is_skip(text: object) -> bool:
    return isinstance(text, str) and (normalise_answer(text) in SKIP_WORDS or normalise_answer(text) == "/deny")
