"""What a Rasa event looks like at rest, and back.

`at_rest(event)` (the event as Rasa serialises it, `Event.as_dict()`):
- bearer tokens never stored: any `token`/`access_token`/`authorization`/… key is dropped from every dict of the
  event (user metadata, session_started metadata and the `session_started_metadata` slot), and any JWT-looking
  or "Bearer …" string that is left becomes "[token]". The channel's `person_id` goes too (a pseudonym, but one
  that links the chat to a citizen; it is kept only as a keyed hash in the look-up index);
- every string (user and bot text, parse data, entities, buttons, metadata) is masked (`mask_personal`: NRIC
  S****567D, phone ****4567, account *****6789, certificate links without their signed part) — what the trainer's
  `review` reads, and what a person reading the table sees;
- slot values a later turn needs (the bank account typed in turn 3 is submitted in turn 6; MyInfo details with
  NRICs) are encrypted with PRIVACY_KEY ("enc:v1:…"); only conversation-state slots whose value holds nothing
  personal (the language, booleans, numbers, the handoff reference) stay readable;
- the NRICs, person ids and phone numbers it held are returned (for the keyed look-up index), never stored.

`from_rest(stored)` decrypts the slot values again (a value no key opens any more comes back as None).
"""
from __future__ import annotations

import base64
import json
import logging
from typing import Any, Dict, Iterable, List, Set, Tuple

from moments.privacy import PHONE_RE, mask_personal, nrics_in
from moments.privacy.crypto import InvalidToken, Vault, is_encrypted

logger = logging.getLogger(__name__)

# Keys whose values are credentials or direct links to a person: never stored (compared case-insensitively).
DROPPED_KEYS = frozenset({"token", "access_token", "id_token", "refresh_token", "authorization", "bearer",
                          "password", "person_id", "singpass_token"})
# Slots whose values are conversation state, stored readable when they hold nothing personal.
CLEAR_SLOTS = frozenset({"language", "requested_slot", "handoff_agency", "handoff_reference", "logged_in",
                         "journey_aborted", "failed_tries", "bb_correcting", "birth_registered",
                         "sms_identity_confirmed", "myinfo_consent", "confirm_submission", "bb_info_consent"})
SESSION_METADATA_SLOT = "session_started_metadata"


def _jwt_subject(token: str) -> Any:
    """The `sub` of a JWT, read without verifying it (only to index the conversation for `forget`)."""
    try:
        part = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))).get("sub")
    except (IndexError, ValueError, AttributeError):
        return None


def _identifiers(value: Any, found: Set[Tuple[str, str]]) -> None:
    """Collects ("nric", S…), ("person", id), ("phone", 8 digits) from anything inside `value`."""
    if isinstance(value, dict):
        for k, v in value.items():
            key = str(k).lower()
            if key == "person_id" and v:
                found.add(("person", str(v)))
            elif key in ("token", "access_token", "singpass_token") and isinstance(v, str):
                sub = _jwt_subject(v)
                if sub:
                    found.add(("person", str(sub)))
            _identifiers(v, found)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _identifiers(v, found)
    elif isinstance(value, str):
        for nric in nrics_in(value):
            found.add(("nric", nric))
        for m in PHONE_RE.finditer(value):
            found.add(("phone", m.group(1) + m.group(2)))


def scrub(value: Any) -> Any:
    """Credentials dropped, every string masked; the structure is kept."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if str(k).lower() not in DROPPED_KEYS}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return mask_personal(value)
    return value


def _holds_personal(value: Any) -> bool:
    return json.dumps(scrub(value), ensure_ascii=False, sort_keys=True) != json.dumps(
        value, ensure_ascii=False, sort_keys=True)


def _slot_value_at_rest(name: str, value: Any, vault: Vault) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if name == SESSION_METADATA_SLOT:
        return scrub(value)
    if name in CLEAR_SLOTS and not _holds_personal(value):
        return value
    return vault.encrypt(scrub_credentials(value))


def scrub_credentials(value: Any) -> Any:
    """Only the credentials dropped (what is encrypted may keep the NRIC a form needs, never a token)."""
    if isinstance(value, dict):
        return {k: scrub_credentials(v) for k, v in value.items() if str(k).lower() not in DROPPED_KEYS}
    if isinstance(value, list):
        return [scrub_credentials(v) for v in value]
    if isinstance(value, str):
        from moments.privacy import mask_tokens
        return mask_tokens(value)
    return value


def at_rest(event: Dict[str, Any], vault: Vault) -> Tuple[Dict[str, Any], Set[Tuple[str, str]]]:
    """(the event as stored, the identifiers it held for the look-up index)."""
    found: Set[Tuple[str, str]] = set()
    _identifiers(event, found)
    if event.get("event") == "slot":
        stored = {k: (v if k == "value" else scrub(v)) for k, v in event.items()}
        stored["value"] = _slot_value_at_rest(str(event.get("name")), event.get("value"), vault)
    else:
        stored = scrub(event)
    return stored, found


def from_rest(stored: Dict[str, Any], vault: Vault) -> Dict[str, Any]:
    if stored.get("event") == "slot" and is_encrypted(stored.get("value")):
        try:
            return {**stored, "value": vault.decrypt(stored["value"])}
        except InvalidToken:
            logger.warning("slot %s: no PRIVACY_KEY opens its stored value (key rotated out?); reading it as empty",
                           stored.get("name"))
            return {**stored, "value": None}
    return stored


def forget_requested(events: Iterable[Dict[str, Any]], slot: str) -> bool:
    return any(e.get("event") == "slot" and e.get("name") == slot and e.get("value") is True for e in events)


def digests(found: Iterable[Tuple[str, str]], vault: Vault) -> List[str]:
    return sorted({vault.digest(kind, value) for kind, value in found})
