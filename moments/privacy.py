"""Masking of personal identifiers before they reach a log, a report or a trainer's screen."""
from __future__ import annotations

import re

# NRIC/FIN: S/T/F/G/M + 7 digits + check letter (any case, optionally spaced as some people type it).
# Bounded by non-alphanumerics rather than \b, so "我的IC是S1234567D" is caught too.
NRIC_RE = re.compile(r"(?i)(?<![A-Z0-9])([STFGM])\s?(\d{3})(\d{4})\s?([A-Z])(?![A-Z0-9])")
# Singapore phone numbers: optional +65/65, then 8 digits starting 3, 6, 8 or 9 (spaces/dashes allowed).
PHONE_RE = re.compile(r"(?<!\d)(?:\+?65[\s-]?)?([3689]\d{3})[\s-]?(\d{4})(?!\d)")


def mask_nric(text: str) -> str:
    """'S1234567D' -> 'S****567D' (the form used on government letters)."""
    return NRIC_RE.sub(lambda m: f"{m.group(1).upper()}****{m.group(3)[1:]}{m.group(4).upper()}", text)


def mask_phone(text: str) -> str:
    """'+65 9123 4567' -> '****4567'."""
    return PHONE_RE.sub(lambda m: f"****{m.group(2)}", text)


def mask_personal(text: str) -> str:
    """NRICs and phone numbers masked; everything else unchanged."""
    return mask_phone(mask_nric(text))
