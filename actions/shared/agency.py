"""What every journey's actions share: the agency clients, who the citizen is, and agency errors.

- Agency calls block (requests), so they always run in a worker thread: `await call(fn, ...)`.
- Identity comes from the channel, never from what the user types, and never from what a caller can merely write
  into a tracker: the web widget (and REST callers) send the mock Singpass token in the message metadata
  (`{"token": …}`), whose signature is checked here with AGENCIES_TOKEN_SECRET (and again, with its expiry, by the
  agency on every use); the `sms` channel sends a record of the sender's number signed with CHANNEL_IDENTITY_KEY
  (moments.channels.identity), accepted only for this conversation's latest message and while fresh, and then
  exchanged for a token with the channel's API key. A bare `phone` in the metadata identifies nobody.
- Idempotency keys are derived from the conversation and what is submitted, so a retry after an outage never
  creates a second record.
- A write whose answer was lost in transit is found out by the client (moments/agency_client/client.py
  `_write`: the same request replayed with the same key, the record looked up) before anything is said: done → the
  normal result; not done → `agency_unavailable`; still unknown → `AgencyError.outcome_unknown`, answered by
  `outcome_unknown` here ("it may have gone through, it will not be submitted twice, say yes / ask status"), with
  every answer kept so that "yes" replays the same key.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.shared.tracker import latest_intent  # noqa: F401  (older imports)
from moments.agency_client.client import Agencies, AgencyError
from moments.agency_client.codes import Code
from moments.channels import identity as sms_identity
from moments.privacy import mask_personal

logger = logging.getLogger(__name__)
T = TypeVar("T")

_agencies: Optional[Agencies] = None


def agencies() -> Agencies:
    global _agencies
    if _agencies is None:
        _agencies = Agencies.from_env()
    return _agencies


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Runs a blocking agency call off the event loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)


@dataclass(frozen=True)
class Identity:
    token: Optional[str]
    via: Optional[str]  # "token" (web / REST metadata) | "sms" | None (read by tests/security)

    @property
    def known(self) -> bool:
        return bool(self.token)


def latest_metadata(tracker: Tracker) -> Dict[str, Any]:
    """Metadata of the most recent user message that carried any (the widget sends it every time)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and event.get("metadata"):
            return event["metadata"]
    return {}


def latest_user_event(tracker: Tracker) -> Dict[str, Any]:
    """The user message this action answers (the last `user` event), or {}."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return event
    return {}


# What the mock Singpass puts in its tokens (moments/agencies/security.py).
SINGPASS_ISSUER, SINGPASS_AUDIENCE = "mock-singpass", "moments-agencies"


def token_signature_ok(token: str, secret: Optional[str] = None) -> bool:
    """False for a JWT whose signature (or issuer/audience) does not verify with AGENCIES_TOKEN_SECRET. Expiry is left
    to the agency, which answers `token_expired` so that the citizen hears "your login expired". Without a configured
    secret, or for something that is not a JWT at all, the agency's own check on every use decides."""
    import jwt

    secret = secret if secret is not None else os.environ.get("AGENCIES_TOKEN_SECRET", "")
    if not secret or token.count(".") != 2:
        return True
    try:
        jwt.decode(token, secret, algorithms=["HS256"], audience=SINGPASS_AUDIENCE, issuer=SINGPASS_ISSUER,
                   options={"verify_exp": False, "require": ["sub", "aud", "iss"]})
        return True
    except jwt.PyJWTError:
        return False


def sms_phone(tracker: Tracker, key: Optional[str] = None) -> Optional[str]:
    """The sender's number if the latest user message carries a valid, fresh identity record signed by the SMS
    channel for this conversation and this message; else None (logged, never trusted)."""
    event = latest_user_event(tracker)
    if event.get("input_channel") != "sms":
        return None
    metadata = event.get("metadata") or {}
    key = key if key is not None else os.environ.get(sms_identity.KEY_ENV, "")
    try:
        return sms_identity.verify_record(key, metadata.get(sms_identity.METADATA_KEY), tracker.sender_id,
                                          event.get("message_id"))
    except sms_identity.RecordError as err:
        logger.warning("sms message in %s not identified: %s", tracker.sender_id, err)
        return None


async def identify(tracker: Tracker) -> Identity:
    metadata = latest_metadata(tracker)
    if isinstance(metadata.get("token"), str) and metadata["token"]:
        if token_signature_ok(metadata["token"]):
            return Identity(metadata["token"], "token")
        logger.warning("a token that does not verify in %s: treated as not logged in", tracker.sender_id)
        return Identity(None, None)
    phone = sms_phone(tracker)
    if phone:
        try:
            login = await call(agencies().singpass.login, mobile=phone)
        except AgencyError as err:
            logger.info("sms sender %s not identified: %s", mask_personal(phone), err.code)
            return Identity(None, None)
        return Identity(login["access_token"], "sms")
    return Identity(None, None)


def idempotency_key(tracker: Tracker, journey: str, payload: Dict[str, Any]) -> str:
    """Same conversation + same journey + same data → same key (a retry is safe); changed data → new key."""
    digest = hashlib.sha256(
        json.dumps([tracker.sender_id, journey, payload], sort_keys=True, default=str).encode()
    ).hexdigest()
    return f"moments-{journey}-{digest[:40]}"


# Problem codes from the agencies → responses in four languages. Anything else: utter_agency_error.
AGENCY_ERROR_RESPONSES: Dict[str, str] = {  # keyed by Code, looked up with AgencyError.code (any str)
    Code.AGENCY_UNAVAILABLE: "utter_agency_unavailable",
    Code.TOKEN_EXPIRED: "utter_login_expired",
    Code.TOKEN_INVALID: "utter_login_expired",
    Code.TOKEN_MISSING: "utter_login_required",
    Code.CONSENT_MISSING: "utter_consent_needed",
    Code.NOT_AUTHORISED: "utter_not_your_record",
    Code.NOT_A_PARENT: "utter_not_your_record",
}


def outcome_unknown(dispatcher: CollectingDispatcher, **more: Any) -> Dict[str, Any]:
    """A write that may have been done: said so in the user's language; the answers (and so the idempotency key)
    are kept and the summary is asked again, so "yes" finds the same record and never makes a second one."""
    logger.warning("agency write outcome unknown: the answer was lost and could not be found out in time")
    dispatcher.utter_message(response="utter_agency_outcome_unknown")
    return {"confirm_submission": None, **more}


def report_agency_error(dispatcher: CollectingDispatcher, err: AgencyError,
                        specific: Optional[Dict[str, str]] = None) -> str:
    """Tells the user what went wrong, in their language; returns the response name used."""
    response = (specific or {}).get(err.code) or AGENCY_ERROR_RESPONSES.get(err.code, "utter_agency_error")
    logger.warning("agency error %s (%s): %s", err.code, err.status, mask_personal(err.detail or ""))
    dispatcher.utter_message(response=response)
    return response
