"""Finding the polyclinic a parent means: "AMK", "宏茂桥", "Poliklinik Tampines", "tampinese poly", "toa payoh pls".

The Health agency searches names by substring only; parents type short forms, typos and any of the four languages,
so the bot matches against the agency's clinic list itself:

- every name of a clinic without the generic words ("Polyclinic", "综合诊疗所", "Poliklinik", "பலதுறை மருந்தகம்"),
  with and without spaces, plus the initials of the English name (AMK, CCK) and the short forms Singaporeans use;
- a name inside the reply ("can book at Tampines?") or the reply inside a name ("batok") counts;
- otherwise a close spelling (difflib ratio), so one typo still finds the clinic.

`find(query, clinics)` returns a `ClinicMatch`: one clinic, several equally likely ones, or none with the closest
suggestions. A 6-digit postal code is not a name: the caller asks the agency for the nearest clinics instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
import time
from typing import Dict, Iterable, List, Optional

from actions.shared.agency import agencies, call
from moments.text.normalise import fold

GENERIC_WORDS = [
    # longest first, so "综合诊疗所" goes before "诊疗所"
    "பலதுறை மருந்தகம்", "综合诊疗所", "综合诊所", "联合诊疗所", "诊疗所", "诊所", "polyclinic", "poliklinik",
    "பாலிகிளினிக்", "மருந்தகம்", "கிளினிக்", "clinic", "klinik", "poly", "the", "at", "near", "di", "dekat", "kat",
    "pls", "please", "lah", "can", "book", "在", "的", "去", "那个",
]
# Short forms people use that initials and spelling cannot find.
# (Two-letter forms such as "BB" or "JE" are left out: in a chat they mean "baby" or Malay "only".)
ALIASES: Dict[str, List[str]] = {
    "bukit-batok": ["bt batok"],
    "toa-payoh": ["tpy"],
    "tampines": ["tamp"],
    "queenstown": ["queens town"],
    "jurong": ["jurong east"],
    "punggol": ["oasis terraces"],
}
POSTAL_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
ACCEPT, CLOSE = 0.8, 0.1  # a match needs this score, and to beat the runner-up by this much


def normalise(text: str) -> str:
    text = fold(text)
    text = re.sub(r"[^\w\s\u0b80-\u0bff]", " ", text)  # keep Tamil vowel signs
    for word in GENERIC_WORDS:
        if word.isascii():
            text = re.sub(rf"(?<![a-z]){re.escape(word)}(?![a-z])", " ", text)
        else:
            text = text.replace(word, " ")
    return " ".join(text.split())


def compact(text: str) -> str:
    return text.replace(" ", "")


def postal_code_in(text: Optional[str]) -> Optional[str]:
    m = POSTAL_CODE.search(text or "")
    return m.group(1) if m else None


def keys_of(clinic: dict) -> List[str]:
    """Every way of writing this clinic's name, normalised and without spaces."""
    names = list((clinic.get("name") or {}).values())
    keys = {compact(normalise(n)) for n in names}
    english = normalise((clinic.get("name") or {}).get("en", ""))
    if len(english.split()) > 2:
        keys.add("".join(w[0] for w in english.split()))  # "ang mo kio" -> "amk", "choa chu kang" -> "cck"
    keys.update(compact(normalise(a)) for a in ALIASES.get(clinic.get("id", ""), []))
    return sorted(k for k in keys if k)


def score(query: str, clinic: dict) -> float:
    q = compact(normalise(query))
    if not q:
        return 0.0
    best = 0.0
    for key in keys_of(clinic):
        if q == key:
            return 1.0
        short = len(key) <= 3  # initials and short forms only count as a whole word of the reply
        words = normalise(query).split()
        if short and key in words:
            best = max(best, 0.97)
        elif not short and key in q:
            best = max(best, 0.95)
        elif len(q) >= 3 and not short and q in key:
            best = max(best, 0.9)
        if not short:
            best = max(best, SequenceMatcher(None, q, key).ratio() * 0.95)
    return best


@dataclass
class ClinicMatch:
    clinic: Optional[dict] = None          # the one clinic meant
    candidates: List[dict] = field(default_factory=list)  # several equally likely, or suggestions when none

    @property
    def found(self) -> bool:
        return self.clinic is not None


def find(query: str, clinics: Iterable[dict], suggestions: int = 3) -> ClinicMatch:
    ranked = sorted(((score(query, c), c["id"], c) for c in clinics), key=lambda t: (-t[0], t[1]))
    if not ranked:
        return ClinicMatch()
    top = ranked[0][0]
    if top >= ACCEPT and (len(ranked) == 1 or ranked[1][0] < top - CLOSE + 1e-9 or top == 1.0 and ranked[1][0] < 1.0):
        return ClinicMatch(clinic=ranked[0][2])
    likely = [c for s, _, c in ranked if s >= ACCEPT and s >= top - CLOSE]
    if len(likely) > 1:
        return ClinicMatch(candidates=likely[:5])
    return ClinicMatch(candidates=[c for s, _, c in ranked[:suggestions] if s > 0.3])


class ClinicDirectory:
    """The polyclinics (they rarely change): fetched once and kept for ten minutes."""

    TTL = 600.0
    _clinics: List[dict] = []
    _fetched_at = 0.0

    @classmethod
    async def all(cls) -> List[dict]:
        if not cls._clinics or time.monotonic() - cls._fetched_at > cls.TTL:
            cls._clinics = await call(agencies().health.clinics, limit=50)
            cls._fetched_at = time.monotonic()
        return cls._clinics

    @classmethod
    async def get(cls, clinic_id: Optional[str]) -> Optional[dict]:
        return next((c for c in await cls.all() if c["id"] == clinic_id), None)

    @classmethod
    def reset(cls) -> None:
        cls._clinics, cls._fetched_at = [], 0.0
