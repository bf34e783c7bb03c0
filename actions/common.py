"""What every journey's actions share: the agency clients, who the citizen is, and agency errors.

- Agency calls block (requests), so they always run in a worker thread: `await call(fn, ...)`.
- Identity comes from the channel, never from what the user types: the web widget (and REST callers)
  send the mock Singpass token in the message metadata (`{"token": …}`); the `sms` channel sends the sender's
  number (`{"phone": …}`), which is trusted only when the message really came in over the sms channel and is
  exchanged for a token with the channel's API key.
- Idempotency keys are derived from the conversation and what is submitted, so a retry after an outage never
  creates a second record.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from moments.agencies.client import Agencies, AgencyError
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
    via: Optional[str]  # "token" (web / REST metadata) | "sms" | None
    name: Optional[str] = None

    @property
    def known(self) -> bool:
        return bool(self.token)


def latest_metadata(tracker: Tracker) -> Dict[str, Any]:
    """Metadata of the most recent user message that carried any (the widget sends it every time)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and event.get("metadata"):
            return event["metadata"]
    return {}


async def identify(tracker: Tracker) -> Identity:
    metadata = latest_metadata(tracker)
    if isinstance(metadata.get("token"), str) and metadata["token"]:
        return Identity(metadata["token"], "token")
    if tracker.get_latest_input_channel() == "sms" and metadata.get("phone"):
        try:
            login = await call(agencies().singpass.login, mobile=metadata["phone"])
        except AgencyError as err:
            logger.info("sms sender %s not identified: %s", mask_personal(str(metadata["phone"])), err.code)
            return Identity(None, None)
        return Identity(login["access_token"], "sms", login["person"]["name"])
    return Identity(None, None)


def idempotency_key(tracker: Tracker, journey: str, payload: Dict[str, Any]) -> str:
    """Same conversation + same journey + same data → same key (a retry is safe); changed data → new key."""
    digest = hashlib.sha256(
        json.dumps([tracker.sender_id, journey, payload], sort_keys=True, default=str).encode()
    ).hexdigest()
    return f"moments-{journey}-{digest[:40]}"


# Problem codes from the agencies → responses in four languages. Anything else: utter_agency_error.
AGENCY_ERROR_RESPONSES = {
    "agency_unavailable": "utter_agency_unavailable",
    "token_expired": "utter_login_expired",
    "token_invalid": "utter_login_expired",
    "token_missing": "utter_login_required",
    "consent_missing": "utter_consent_needed",
    "not_authorised": "utter_not_your_record",
    "not_a_parent": "utter_not_your_record",
}


def report_agency_error(dispatcher: CollectingDispatcher, err: AgencyError,
                        specific: Optional[Dict[str, str]] = None) -> str:
    """Tells the user what went wrong, in their language; returns the response name used."""
    response = (specific or {}).get(err.code) or AGENCY_ERROR_RESPONSES.get(err.code, "utter_agency_error")
    logger.warning("agency error %s (%s): %s", err.code, err.status, mask_personal(err.detail or ""))
    dispatcher.utter_message(response=response)
    return response


def latest_intent(tracker: Tracker) -> Optional[str]:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")
