"""NRIC / FIN checksum (ICA's published algorithm; see ../shared/DESIGN.md).

A number is a prefix letter, 7 digits and a check letter. The digits are weighted 2,7,6,5,4,3,2; the prefix adds
an offset (S/F 0, T/G 4, M 3); the remainder of the sum modulo 11 picks the check letter from the prefix's table.
"""
from __future__ import annotations

import re

WEIGHTS = (2, 7, 6, 5, 4, 3, 2)
OFFSETS = {"S": 0, "T": 4, "F": 0, "G": 4, "M": 3}
TABLES = {
    "S": "JZIHGFEDCBA",
    "T": "JZIHGFEDCBA",
    "F": "XWUTRQPNMLK",
    "G": "XWUTRQPNMLK",
    "M": "XWUTRQPNJLK",
}
SHAPE = re.compile(r"^[STFGM][0-9]{7}[A-Z]$")
CITIZEN_PREFIXES = frozenset("ST")  # NRICs (citizens and PRs); F/G/M are FINs (foreigners)


def check_letter(prefix: str, digits: str) -> str:
    """The check letter for `prefix` + 7 `digits`; ValueError for anything else."""
    prefix = prefix.upper()
    if prefix not in OFFSETS or not re.fullmatch(r"[0-9]{7}", digits):
        raise ValueError(f"not an NRIC/FIN body: {prefix!r} + {len(digits)} characters")
    total = sum(int(d) * w for d, w in zip(digits, WEIGHTS)) + OFFSETS[prefix]
    return TABLES[prefix][total % 11]


def normalise(value: str) -> str:
    """Upper-case, spaces removed: ' s1234567d ' -> 'S1234567D'."""
    return "".join(value.split()).upper()


def is_valid(value: str) -> bool:
    """True for a well-formed NRIC/FIN whose check letter is right (case and spaces are tolerated)."""
    if not isinstance(value, str):
        return False
    v = normalise(value)
    return bool(SHAPE.match(v)) and check_letter(v[0], v[1:8]) == v[8]


def make(prefix: str, digits: str) -> str:
    """A checksum-valid number from a prefix and 7 digits (used for seed data and new birth certificates)."""
    return f"{prefix.upper()}{digits}{check_letter(prefix, digits)}"


def is_fin(value: str) -> bool:
    return normalise(value)[:1] in ("F", "G", "M")
