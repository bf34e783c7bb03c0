"""Personal data: masked before it reaches a log, a report, a trainer's screen or the tracker store.

    moments.privacy            the masking rules (this module), shared by the bot, the agencies and the tools
    moments.privacy.crypto     Fernet encryption with PRIVACY_KEY (rotatable) and keyed hashes for look-ups
    moments.privacy.events     what a Rasa event looks like at rest (tokens dropped, text masked, slots encrypted)
    moments.privacy.store      PrivateSQLTrackerStore: that rule applied once, at the tracker-store boundary
    moments.privacy.logs       the same masking on every log line of Rasa and the action server
    python -m moments.privacy  purge (retention), forget (a conversation, phone number or NRIC), rotate-logs
"""
from __future__ import annotations

import re

# NRIC/FIN: S/T/F/G/M + 7 digits + check letter (any case, optionally spaced as some people type it).
# Bounded by non-alphanumerics rather than \b, so "我的IC是S1234567D" is caught too.
NRIC_RE = re.compile(r"(?i)(?<![A-Z0-9])([STFGM])\s?(\d{3})(\d{4})\s?([A-Z])(?![A-Z0-9])")
# Singapore phone numbers: optional +65/65, then 8 digits starting 3, 6, 8 or 9 (spaces/dashes allowed).
PHONE_RE = re.compile(r"(?<!\d)(?:\+?65[\s-]?)?([3689]\d{3})[\s-]?(\d{4})(?!\d)")
# Bank account numbers: 9 to 12 digits (the agencies' lengths for DBS/POSB, OCBC and UOB), spaces or dashes
# allowed between groups ("123-45678-9"). Not inside a word or a reference ("NLB2026000101", "BB-2026-000123").
# Not an ISO date and time ("2026-12-02 18:40:31" in every log line is not an account number).
ACCOUNT_RE = re.compile(r"(?<![A-Za-z0-9\-/])(?!\d{4}-\d{2}-\d{2}\b)(\d(?:[ \-]?\d){8,11})(?![0-9A-Za-z]|\.\d)")
# Bearer tokens: JWTs (three base64url parts, the first always starts "eyJ") and "Bearer <anything>".
JWT_RE = re.compile(r"eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*")
BEARER_RE = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/\-]{8,}=*")
# Signed download links (the birth certificate) and their short form for SMS (/c/<code>): whoever has the link can
# download the document.
LINK_RE = re.compile(r"(/certificates/|/c/)[A-Za-z0-9._~%\-]{8,}")

TOKEN_MASK = "[token]"


def mask_nric(text: str) -> str:
    """'S1234567D' -> 'S****567D' (the form used on government letters)."""
    return NRIC_RE.sub(lambda m: f"{m.group(1).upper()}****{m.group(3)[1:]}{m.group(4).upper()}", text)


def mask_phone(text: str) -> str:
    """'+65 9123 4567' -> '****4567'."""
    return PHONE_RE.sub(lambda m: f"****{m.group(2)}", text)


def mask_account(text: str) -> str:
    """'POSB 123-45678-9' -> 'POSB *****6789' (the last four digits, as a bank statement shows them)."""
    return ACCOUNT_RE.sub(lambda m: "*****" + re.sub(r"\D", "", m.group(1))[-4:], text)


def mask_tokens(text: str) -> str:
    """JWTs and 'Bearer …' -> '[token]'; certificate links lose their signed part."""
    text = JWT_RE.sub(TOKEN_MASK, text)
    text = BEARER_RE.sub(lambda m: f"{m.group(1)} {TOKEN_MASK}", text)
    return LINK_RE.sub(lambda m: f"{m.group(1)}…", text)


def mask_personal(text: str) -> str:
    """NRICs, bearer tokens, certificate links, bank account and phone numbers masked; everything else unchanged."""
    if not text:
        return text
    return mask_account(mask_phone(mask_nric(mask_tokens(text))))


def has_personal(text: str) -> bool:
    """True when `text` holds something mask_personal would change."""
    return isinstance(text, str) and mask_personal(text) != text


def nrics_in(text: str):
    """The NRIC/FINs in `text`, normalised ('s 1234567 d' -> 'S1234567D')."""
    return [f"{m.group(1)}{m.group(2)}{m.group(3)}{m.group(4)}".upper() for m in NRIC_RE.finditer(text or "")]
