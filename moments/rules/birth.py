"""ICA birth registration rules, free of HTTP and database so they can be tested on their own.

- Registration is online, by a parent, within 42 days of birth (the day of birth is day 0, so a baby born on
  1 March can be registered up to and including 12 April); later is a late registration that ICA handles
  in person.
- The child's name is in the English alphabet; an optional name in Chinese characters, Tamil or Jawi script.
- Fee $18.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from moments.text.scripts import script_of

REGISTRATION_WINDOW_DAYS = 42
FEE_CENTS = 1800
CERTIFICATE_VALID_DAYS = 90

NAME_MAX = 66            # the longest name the certificate prints on one line
ETHNIC_NAME_MAX = 30
ENGLISH_NAME_CHARS = re.compile(r"^[A-Za-z][A-Za-z .,'@/()-]*$")
DIALECT_CHARS = re.compile(r"^[A-Za-z][A-Za-z -]{1,29}$")


class RuleError(ValueError):
    """A rule was broken; `code` is the problem code the API returns."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def registration_deadline(born_on: date) -> date:
    """The last day on which the birth can be registered online."""
    return born_on + timedelta(days=REGISTRATION_WINDOW_DAYS)


def days_since_birth(born_on: date, today: date) -> int:
    return (today - born_on).days


def is_late(born_on: date, today: date) -> bool:
    return today > registration_deadline(born_on)


def clean_english_name(raw: str) -> str:
    """The child's name with whitespace collapsed, or RuleError('name_invalid').

    Letters of the English alphabet, spaces and the punctuation Singapore names use (hyphen, apostrophe, full
    stop, comma, '@' for an alias, '/' in 's/o' and 'd/o', brackets), starting with a letter, 2-66 characters.
    """
    name = " ".join(str(raw).split())
    if len(name) < 2 or len(name) > NAME_MAX:
        raise RuleError("name_invalid", f"The name must be 2 to {NAME_MAX} characters long.")
    if not ENGLISH_NAME_CHARS.match(name):
        raise RuleError(
            "name_invalid",
            "The name must use the English alphabet (A-Z), spaces and - ' . , @ / ( ) only, and start with a letter.",
        )
    if sum(c.isalpha() for c in name) < 2:
        raise RuleError("name_invalid", "The name must contain at least two letters.")
    return name


def clean_ethnic_name(raw: str) -> tuple[str, str]:
    """(name, script) for a name in Chinese characters, Tamil or Jawi script, or RuleError('ethnic_name_invalid').

    One script per name; spaces (and the zero-width joiners Tamil and Jawi need) are allowed.
    """
    name = " ".join(unicodedata.normalize("NFC", str(raw)).split())
    if not name or len(name) > ETHNIC_NAME_MAX:
        raise RuleError("ethnic_name_invalid", f"The name in ethnic script must be 1 to {ETHNIC_NAME_MAX} characters.")
    scripts = set()
    for ch in name:
        if ch in " \u200c\u200d\u00b7":
            continue
        script = script_of(ch)
        if script is None:
            raise RuleError(
                "ethnic_name_invalid",
                "The name in ethnic script must be written in Chinese characters, Tamil or Jawi only.",
            )
        scripts.add(script)
    if len(scripts) != 1:
        raise RuleError("ethnic_name_invalid", "The name in ethnic script must use one script only.")
    return name, scripts.pop()


def clean_dialect(raw: str) -> str:
    value = " ".join(str(raw).split())
    if not DIALECT_CHARS.match(value):
        raise RuleError("dialect_invalid", "A dialect is 2 to 30 letters of the English alphabet, e.g. 'Hokkien'.")
    return value.title()


def child_citizenship(mother_is_citizen: bool, father_is_citizen: bool, parents_married: bool) -> str:
    """A child born in Singapore is a citizen by birth when the mother is a citizen, or when the parents are
    married and the father is a citizen. Otherwise citizenship (or PR) has to be applied for separately."""
    if mother_is_citizen or (parents_married and father_is_citizen):
        return "citizen"
    return "not_citizen"
