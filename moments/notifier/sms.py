"""Outbound SMS through Twilio's Messages REST API, with the `twilio` library.

    POST {base}/2010-04-01/Accounts/{sid}/Messages.json   To, From, Body[, StatusCallback]   basic auth sid:token
    GET  {base}/2010-04-01/Accounts/{sid}/Messages.json?To=…&DateSent>=…                   (recovery: was it sent?)

The library always calls https://api.twilio.com; `BaseUrlHttpClient` sends those requests to another base URL
instead (the local Twilio-compatible endpoint `make run` starts, moments/notifier/twilio_local.py). A real account
works by configuration only: SMS_API_URL=https://api.twilio.com, SMS_API_ACCOUNT_SID=AC…, TWILIO_API_TOKEN=<auth
token>, SMS_FROM=<your number or messaging service>.

`send` raises `SendRejected` when the provider refused the message for good (4xx: a bad number, an unsubscribed
recipient) and `OutcomeUnknown` when it cannot tell (connection error, timeout, 5xx): the reminder then stays
claimed and is recovered by asking the provider (`sent_to`), never blindly sent twice.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import List, Optional

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

TWILIO_BASE = "https://api.twilio.com"
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)  # it logs every URL, phone numbers included


class SendRejected(Exception):
    """The provider refused this message for good (`code`: Twilio's error code, e.g. 21610 unsubscribed)."""

    def __init__(self, status: int, code: Optional[int], message: str):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code = status, code


class OutcomeUnknown(Exception):
    """The message may or may not have been accepted."""


class BaseUrlHttpClient(TwilioHttpClient):
    def __init__(self, base_url: str, timeout: float = 10.0):
        super().__init__(pool_connections=True, timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):  # noqa: ANN001 - the library's signature
        if self.base_url and self.base_url != TWILIO_BASE and url.startswith(TWILIO_BASE):
            url = self.base_url + url[len(TWILIO_BASE):]
        return super().request(method, url, *args, **kwargs)


@dataclass(frozen=True)
class SentMessage:
    sid: str
    to: str
    body: str
    status: str


class SmsSender:
    def __init__(self, base_url: str, account_sid: str, token: str, from_: str,
                 status_callback: Optional[str] = None, timeout: float = 10.0):
        self.from_ = from_
        self.status_callback = status_callback or None
        self.client = Client(account_sid, token, account_sid, http_client=BaseUrlHttpClient(base_url, timeout))

    def send(self, to: str, body: str) -> str:
        """The provider's message id (SM…)."""
        try:
            kwargs = {"status_callback": self.status_callback} if self.status_callback else {}
            return self.client.messages.create(to=to, from_=self.from_, body=body, **kwargs).sid
        except TwilioRestException as exc:
            if 400 <= exc.status < 500 and exc.status not in (408, 429):
                raise SendRejected(exc.status, exc.code, exc.msg) from None
            raise OutcomeUnknown(f"{exc.status} {exc.code}") from None
        except requests.RequestException as exc:
            raise OutcomeUnknown(type(exc).__name__) from None

    def sent_to(self, to: str, since: datetime) -> List[SentMessage]:
        """Messages to `to` since `since` (the day before, to be safe with time zones): how a recovered claim
        learns whether its message went out before its process died."""
        after = (since.astimezone(timezone.utc) - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        try:
            return [SentMessage(m.sid, m.to, m.body or "", m.status or "")
                    for m in self.client.messages.list(to=to, date_sent_after=after, page_size=200)]
        except TwilioRestException as exc:
            raise OutcomeUnknown(f"{exc.status} {exc.code}") from None
        except requests.RequestException as exc:
            raise OutcomeUnknown(type(exc).__name__) from None
