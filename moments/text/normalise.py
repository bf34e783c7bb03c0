"""Text as the readers compare it: NFKC (full-width digits and letters become ASCII), case folded."""
from __future__ import annotations

import re
import unicodedata
from typing import Any, List

FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
TRAILING_PUNCTUATION = re.compile(r"[\s.!?,。！？，]+$")


def fold(text: Any) -> str:
    """NFKC and case folded: 'ＯＣＢＣ' → 'ocbc'. None → ''."""
    return unicodedata.normalize("NFKC", str(text or "")).casefold()


def nfkc(text: Any) -> str:
    """NFKC only (case kept, for names): None → ''."""
    return unicodedata.normalize("NFKC", str(text or ""))


def normalise_answer(text: Any) -> str:
    """A short answer as the word lists hold it: trimmed, lower case, without closing punctuation ('Yes!' → 'yes')."""
    return TRAILING_PUNCTUATION.sub("", (text if isinstance(text, str) else "").strip().lower())


def latin_words(text: Any) -> List[str]:
    """The runs of a-z in the folded text: 'For ADAM pls' → ['for', 'adam', 'pls']."""
    return re.findall(r"[a-z]+", fold(text))
