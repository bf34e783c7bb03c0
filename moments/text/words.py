"""Is this word in that text? Latin words match as whole words (so 'm' is not found in 'mum'); words in other
scripts (Chinese, Tamil) match inside the text, since those scripts do not put spaces where English does.

Callers fold the text first (moments.text.normalise.fold) when case must not matter.
"""
from __future__ import annotations

import re
from typing import Iterable, Optional, Tuple

from moments.text.normalise import fold, latin_words


def _latin(word: str) -> re.Pattern:
    return re.compile(r"(?<![a-z])" + re.escape(word) + r"(?![a-z])")


def find_word(text: str, word: str) -> Optional[Tuple[int, int]]:
    """(start, end) of the first place `word` stands in `text`, or None."""
    if word.isascii():
        m = _latin(word).search(text)
        return (m.start(), m.end()) if m else None
    i = text.find(word)
    return None if i < 0 else (i, i + len(word))


def has_word(text: str, word: str) -> bool:
    return find_word(text, word) is not None


def has_any_word(text: str, words: Iterable[str]) -> bool:
    return any(has_word(text, w) for w in words)


def has_stem(text: str, stems: Iterable[str]) -> bool:
    """Latin stems match at the start of a word ('vaccin' in 'vaccination'); other scripts inside the text."""
    t = fold(text).strip()
    for w in stems:
        if w.isascii():
            if re.search(r"(?<![a-z])" + re.escape(w), t):
                return True
        elif w in t:
            return True
    return False


def contains_any(text: str, words: Iterable[str]) -> bool:
    """Latin words (and phrases of them) among the text's a-z words; other scripts inside the text."""
    latin = latin_words(text)
    said, joined = set(latin), " ".join(latin)
    for w in words:
        if re.fullmatch(r"[a-z ]+", w):
            if (" " in w and w in joined) or w in said:
                return True
        elif w in text:
            return True
    return False
