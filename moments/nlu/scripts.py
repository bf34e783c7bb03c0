"""Unicode script classification shared by the tokenizer and the language detector."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Iterator

HAN = "han"
TAMIL = "tamil"
OTHER = "other"


def is_han(ch: str) -> bool:
    """Han ideographs (CJK unified + extension A + compatibility) — what jieba segments."""
    cp = ord(ch)
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0xF900 <= cp <= 0xFAFF
        or 0x20000 <= cp <= 0x2A6DF
    )


def is_cjk_punct(ch: str) -> bool:
    """CJK symbols/punctuation and full-width forms (，。！？：) that belong with Han text."""
    cp = ord(ch)
    return 0x3000 <= cp <= 0x303F or 0xFF00 <= cp <= 0xFFEF


def is_tamil(ch: str) -> bool:
    return 0x0B80 <= ord(ch) <= 0x0BFF


def is_latin_letter(ch: str) -> bool:
    return ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN")


@dataclass(frozen=True)
class Run:
    """A maximal stretch of text that one tokenizer should handle; `start` is its offset in the message."""

    script: str
    text: str
    start: int


def split_runs(text: str) -> Iterator[Run]:
    """Splits text into Han runs (jieba) and everything else (spaCy), keeping offsets.

    Han text and CJK punctuation form HAN runs; all other characters form OTHER runs.
    """
    if not text:
        return
    start = 0
    current = HAN if (is_han(text[0]) or is_cjk_punct(text[0])) else OTHER
    for i, ch in enumerate(text):
        kind = HAN if (is_han(ch) or is_cjk_punct(ch)) else OTHER
        if kind != current:
            yield Run(current, text[start:i], start)
            start, current = i, kind
    yield Run(current, text[start:], start)


@dataclass
class ScriptCounts:
    han: int = 0
    tamil: int = 0
    latin: int = 0

    @property
    def letters(self) -> int:
        return self.han + self.tamil + self.latin


def count_scripts(text: str) -> ScriptCounts:
    counts = ScriptCounts()
    for ch in text:
        if is_han(ch):
            counts.han += 1
        elif is_tamil(ch):
            # Tamil vowel signs and virama are marks, not letters; count them anyway: they only occur in Tamil.
            counts.tamil += 1
        elif is_latin_letter(ch):
            counts.latin += 1
    return counts
