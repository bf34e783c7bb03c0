"""Which writing system a character or a text is in: one Unicode table for the tokenizer, the language detector,
the actions (a Chinese name typed where the English one goes) and ICA's naming rules.

Han is CJK unified ideographs with extension A, the compatibility ideographs and the supplementary planes' ideographs
(extensions B-F and the compatibility supplement, U+20000-U+2FA1F: rare characters in Chinese names).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Iterator, Optional

HAN = "han"
TAMIL = "tamil"
JAWI = "jawi"
OTHER = "other"

# Characters that join letters without being one (Tamil and Jawi need them) and the middle dot of some names.
JOINERS = "\u200c\u200d\u00b7"


def is_han(ch: str) -> bool:
    """Han ideographs — what jieba segments, and what a Chinese name is written in."""
    cp = ord(ch)
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF
            or 0x20000 <= cp <= 0x2FA1F)


def is_cjk_punct(ch: str) -> bool:
    """CJK symbols/punctuation and full-width forms (，。！？：) that belong with Han text."""
    cp = ord(ch)
    return 0x3000 <= cp <= 0x303F or 0xFF00 <= cp <= 0xFFEF


def is_tamil(ch: str) -> bool:
    return 0x0B80 <= ord(ch) <= 0x0BFF


def is_jawi(ch: str) -> bool:
    """Arabic script as Malay is written in it (Jawi), presentation forms included."""
    cp = ord(ch)
    return 0x0600 <= cp <= 0x06FF or 0x0750 <= cp <= 0x077F or 0xFB50 <= cp <= 0xFDFF or 0xFE70 <= cp <= 0xFEFF


def is_latin_letter(ch: str) -> bool:
    return ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN")


def script_of(ch: str) -> Optional[str]:
    """HAN, TAMIL or JAWI for a character of a name in an ethnic script; None for anything else."""
    if is_han(ch):
        return HAN
    if is_tamil(ch):
        return TAMIL
    if is_jawi(ch):
        return JAWI
    return None


def in_ethnic_script(text: str) -> bool:
    """Only Chinese characters, Tamil or Jawi (and spaces): e.g. a Chinese name typed where the English one goes."""
    chars = [c for c in text if not c.isspace() and c not in JOINERS]
    return bool(chars) and all(script_of(c) for c in chars)


def has_ethnic_script(text: str) -> bool:
    return any(script_of(c) for c in text)


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
