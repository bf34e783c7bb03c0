"""The one shape of an answer check, and the readers every journey needs: a choice by its number, a person by name.

    check_child_name("tan kai xuan") == Checked("Tan Kai Xuan")
    check_child_name("no")           == Checked(error="utter_birth_name_needed")

A validator is then a list of checks, and a test a table of (text, language) → Checked.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Dict, List, Optional, Sequence

from moments.text.formatting import format_date, format_time
from moments.text.fuzzy import edit_distance
from moments.text.normalise import fold, latin_words
from moments.text.ordinals import ordinal
from moments.text.tamil import said_name_words, sound_key
from moments.text.vocab import NAME_PARTICLES


@dataclass(frozen=True)
class Checked:
    """A validated value, or the response (and its placeholder values) that says what is wrong."""

    value: Any = None
    error: Optional[str] = None
    values: Optional[Dict[str, Any]] = None

    @property
    def ok(self) -> bool:
        return self.error is None


CHOICE = re.compile(r"\s*(?:no\.?|number|#|第)?\s*(\d{1,2})\s*(?:个|個|号|號)?\s*[.)]?\s*", re.IGNORECASE)


def pick_by_number(text: Any, count: int, in_time_order: bool = False) -> Optional[int]:
    """0-based index for a reply "2" / "2." / "no. 2" / "第2个" among `count` options (the buttons' payloads and
    the SMS menu's numbers), or by its place in words ("the first one", "第二个", "yang terakhir", "முதலாவது"; at a
    list in time order also "the earlier one", "最早的"); None otherwise."""
    m = CHOICE.fullmatch(str(text if text is not None else ""))
    if m:
        return int(m.group(1)) - 1 if 1 <= int(m.group(1)) <= count else None
    return ordinal(text, count, in_time_order=in_time_order)


def child_titles(children: Sequence[Dict[str, Any]], lang: str) -> List[str]:
    """Button titles that tell children apart: the name; with two of the same name (twins' English names) also the
    date of birth, and the time of birth when even that is the same."""
    def same(a: Dict[str, Any], b: Dict[str, Any], *keys: str) -> bool:
        return all(fold(str(a.get(k) or "")) == fold(str(b.get(k) or "")) for k in keys)

    titles = []
    for child in children:
        title = str(child.get("name") or "")
        namesakes = [c for c in children if c is not child and same(c, child, "name")]
        if namesakes and child.get("date_of_birth"):
            title += f" ({format_date(child['date_of_birth'], lang, weekday=False)})"
            if any(same(c, child, "date_of_birth") for c in namesakes) and child.get("time_of_birth"):
                title = title[:-1] + ", " + format_time("{}T{}".format(child["date_of_birth"],
                                                                        child["time_of_birth"]), lang) + ")"
        titles.append(title)
    return titles


def name_words(name: str) -> List[str]:
    """The words of a name that identify a person: 'Nur Aisyah binte Rahman' → ['nur', 'aisyah', 'rahman']."""
    return [w for w in re.split(r"[\s,]+", fold(name)) if len(w) > 1 and w not in NAME_PARTICLES]


def _words_said(text: str) -> set:
    folded = fold(text)
    return {w for w in re.split(r"[^\w']+", folded) if w} | set(latin_words(folded))


# Case endings romanised Tamil glues to a name: "Arjunukku", "Kavya-voda", "Meena-kku".
TAMIL_ENDINGS = ("ukku", "kku", "ku", "ukkaga", "kkaga", "kaga", "oda", "voda", "ode", "udaiya", "udaya", "ai", "vai",
                 "yai", "in", "ukk")


def _said_in_tamil(part: str, text: str) -> bool:
    """A name part ("kavya") said in Tamil script ("காவ்யாவுக்கு") or romanised with a case ending ("Arjunukku")."""
    key = sound_key(part)
    if len(key) < 3:
        return False
    for word in said_name_words(text):
        said = sound_key(word)
        if said == key or (len(key) >= 4 and said.startswith(key)) or (len(key) >= 5 and edit_distance(said, key) <= 1):
            return True
    return any(w.startswith(part) and w[len(part):].lstrip("-") in TAMIL_ENDINGS for w in latin_words(text)
               if len(part) >= 4)


def _close(word: str, said: str) -> bool:
    """One typo in a given name ('kavia' for Kavya, 'irfaan' for Irfan)."""
    if len(word) >= 5 and len(said) >= 4 and edit_distance(word, said) <= 1:
        return True
    return len(word) >= 4 and SequenceMatcher(None, word, said).ratio() >= 0.85


def match_person(text: Any, people: Sequence[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The one person (a dict with "name") whose name the text mentions most ('Kavya', 'for adam pls', 'Tan Kai
    Xuan' among siblings, a name in Chinese typed in full); None when nobody, or several equally, are named."""
    said = _words_said(str(text or ""))
    whole = fold(text).strip()
    if not said or not people:
        return None
    scores = []
    for person in people:
        parts = name_words(person["name"])
        score = sum(1 for part in parts
                    if part in said or (not part.isascii() and part in whole) or any(_close(part, s) for s in said)
                    or _said_in_tamil(part, str(text or "")))
        if whole and whole == fold(person["name"]).strip():
            score = max(score, len(parts), 1)
        scores.append(score)
    best = max(scores)
    if best == 0 or scores.count(best) > 1:
        return None
    return people[scores.index(best)]
