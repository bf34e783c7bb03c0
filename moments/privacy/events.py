"""What a Rasa event looks like at rest, and back.

`at_rest(event)` (the event as Rasa serialises it, `Event.as_dict()`):
- bearer tokens never stored: any `token`/`access_token`/`authorization`/… key is dropped from every dict of the
  event (user metadata, session_started metadata and the `session_started_metadata` slot), and any JWT-looking
  or "Bearer …" string that is left becomes "[token]";
- the identifiers the channels put in metadata (`phone` of an SMS sender, the web channel's `person_id`) are
  encrypted ("enc:v1:…"), so the conversation still shows who it was with to whoever holds PRIVACY_KEY (Rasa's
  authenticated API) and to nobody who only has the table;
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
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from moments.privacy import PHONE_RE, mask_personal, nrics_in
from moments.privacy.crypto import PREFIX, InvalidToken, Vault, is_encrypted

logger = logging.getLogger(__name__)

# Keys whose values are credentials or direct links to a person: never stored (compared case-insensitively).
DROPPED_KEYS = frozenset({"token", "access_token", "id_token", "refresh_token", "authorization", "bearer",
                          "password", "singpass_token",
                          # the SMS channel's signed identity record: a credential for the message it came with
                          # (moments.channels.identity); the action server checks it in that turn only
                          "sms_identity"})
# Identifiers in metadata, encrypted at rest (any dict of the event).
ENCRYPTED_KEYS = frozenset({"phone", "person_id", "mobile", "nric"})
# Slots whose values are conversation state, stored readable when they hold nothing personal.
# (Slots filled from text — consent answers, the SMS date-of-birth check — hold what the user typed: encrypted.)
CLEAR_SLOTS = frozenset({"language", "requested_slot", "handoff_agency", "handoff_reference", "logged_in",
                         "journey_aborted", "failed_tries", "bb_correcting", "birth_registered"})
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


def scrub(value: Any, vault: Optional[Vault] = None) -> Any:
    """Credentials dropped, identifiers in metadata encrypted (with a vault), every other string masked."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            key = str(k).lower()
            if key in DROPPED_KEYS:
                continue
            if vault is not None and key in ENCRYPTED_KEYS and isinstance(v, str) and v:
                out[k] = vault.encrypt(v)
            else:
                out[k] = scrub(v, vault)
        return out
    if isinstance(value, list):
        return [scrub(v, vault) for v in value]
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
        return scrub(value, vault)
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
        stored = {k: (v if k == "value" else scrub(v, vault)) for k, v in event.items()}
        stored["value"] = _slot_value_at_rest(str(event.get("name")), event.get("value"), vault)
    else:
        stored = scrub(event, vault)
    return stored, found


def _open(value: Any, vault: Vault, where: str) -> Any:
    if isinstance(value, dict):
        return {k: _open(v, vault, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_open(v, vault, where) for v in value]
    if is_encrypted(value):
        try:
            return vault.decrypt(value)
        except InvalidToken:
            logger.warning("%s: no PRIVACY_KEY opens a stored value (key rotated out?); reading it as empty", where)
            return None
    return value


def from_rest(stored: Dict[str, Any], vault: Vault) -> Dict[str, Any]:
    """Every encrypted value of the stored event decrypted (slot values, metadata identifiers)."""
    where = f"{stored.get('event')} {stored.get('name') or ''}".strip()
    return _open(stored, vault, where)


def from_rest_json(text: str, vault: Vault) -> Dict[str, Any]:
    """from_rest(json.loads(text)): a stored row whose JSON has no encrypted value in it is only parsed. (The store
    writes rows with json.dumps, which never escapes the ASCII of the PREFIX, so no PREFIX in the text means no
    encrypted string in it.)"""
    stored = json.loads(text)
    return from_rest(stored, vault) if PREFIX in text else stored


def forget_requested(events: Iterable[Dict[str, Any]], slot: str) -> bool:
    return any(e.get("event") == "slot" and e.get("name") == slot and e.get("value") is True for e in events)


def digests(found: Iterable[Tuple[str, str]], vault: Vault) -> List[str]:
    return sorted({vault.digest(kind, value) for kind, value in found})
