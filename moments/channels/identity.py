"""The SMS channel's signed identity record: who sent *this* message, in a form the action server can verify.

The SMS channel has checked Twilio's signature on the request, so it knows the sender's number. It puts

    {"sms_identity": {"v": 1, "phone": "+6591234567", "conversation": "sms-…", "sid": "SM…", "ts": 1764700000,
                      "sig": hex(HMAC-SHA256(CHANNEL_IDENTITY_KEY, "moments-sms-identity/v1|phone|conversation|sid|ts"))}}

into the message's metadata. The action server (actions/shared/agency.py `identify`) accepts a number only from a record
that verifies with the same key, belongs to the tracker's conversation and to its latest user message (`sid` is that
message's MessageSid, which Rasa stores as the event's `message_id`), and is at most MAX_AGE_SECONDS old. Anything a
caller can write into a tracker (`latest_input_channel: sms`, a `phone` in the metadata, an old record copied from
another conversation or message) therefore identifies nobody.

Both sides import this module; neither imports Rasa, so the action server stays light.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any, Mapping, Optional

METADATA_KEY = "sms_identity"
KEY_ENV = "CHANNEL_IDENTITY_KEY"
VERSION = 1
MAX_AGE_SECONDS = 600        # the record of the message being handled; an action runs seconds after it
FUTURE_LEEWAY_SECONDS = 30   # clocks of two hosts may differ a little


def _message(phone: str, conversation: str, sid: str, ts: int) -> bytes:
    return "|".join(("moments-sms-identity/v1", phone, conversation, sid, str(ts))).encode("utf-8")


def _sig(key: str, phone: str, conversation: str, sid: str, ts: int) -> str:
    return hmac.new(key.encode("utf-8"), _message(phone, conversation, sid, ts), hashlib.sha256).hexdigest()


def sign_record(key: str, phone: str, conversation: str, sid: str, now: Optional[float] = None) -> dict:
    """The record the SMS channel attaches to one message (`sid`: its MessageSid)."""
    if not key:
        raise ValueError(f"{KEY_ENV} is empty: cannot sign an SMS identity")
    ts = int(time.time() if now is None else now)
    return {"v": VERSION, "phone": phone, "conversation": conversation, "sid": sid, "ts": ts,
            "sig": _sig(key, phone, conversation, sid, ts)}


class RecordError(ValueError):
    """Why a record was refused (for the log; the user is simply not identified)."""


def verify_record(key: str, record: Any, conversation: str, message_id: Optional[str],
                  now: Optional[float] = None, max_age: float = MAX_AGE_SECONDS) -> str:
    """The phone number of a valid, fresh record of this conversation's message `message_id`; else RecordError."""
    if not key:
        raise RecordError(f"no {KEY_ENV} configured")
    if not isinstance(record, Mapping):
        raise RecordError("no record")
    phone, conv, sid, ts, sig = (record.get(k) for k in ("phone", "conversation", "sid", "ts", "sig"))
    if record.get("v") != VERSION or not all(isinstance(v, str) and v for v in (phone, conv, sid, sig)) \
            or not isinstance(ts, int) or isinstance(ts, bool):
        raise RecordError("malformed record")
    if not hmac.compare_digest(_sig(key, phone, conv, sid, ts), sig):
        raise RecordError("bad signature")
    if conv != conversation:
        raise RecordError("record of another conversation")
    if not message_id or sid != message_id:
        raise RecordError("record of another message")
    now = time.time() if now is None else now
    if ts > now + FUTURE_LEEWAY_SECONDS or now - ts > max_age:
        raise RecordError("stale record")
    return phone
