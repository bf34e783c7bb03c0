"""The REST channel (`POST /webhooks/rest/webhook`), hardened.

Rasa's own RestInput answers 500 to a body that is not a JSON object or lacks a text message, and lets the caller
name the input channel (`"input_channel": "sms"`). Identity rests on the channel (actions trust a phone number
only from the sms channel), so this one always says "rest" and answers malformed requests with 400.

It also
- rate-limits per sender (RATE_LIMIT_SENDER_MESSAGES) and per client address (RATE_LIMIT_ADDRESS_MESSAGES): a
  limited caller gets 429 with Retry-After and a body that is still a normal reply list, a polite "please wait" in
  the conversation's language (the tracker's `language` slot, else the message's language, else English);
- replaces lone surrogates (a broken emoji from a client: "\\ud83d") with U+FFFD in the text and the metadata, so
  such a message gets a real answer instead of an exception and `[]`;
- never logs the text of a message that failed, and answers 500 with an apology instead of a silent `[]`.
(Body size is limited before the body is read: moments/serve.py, RASA_MAX_MESSAGE_BYTES.)
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import rasa.utils.endpoints
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import SanicException
from sanic.request import Request

from moments import ratelimit

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 20_000

SORRY = {
    "en": "Sorry, something went wrong on our side. Please try again in a moment.",
    "zh": "抱歉，我们这边出了点问题。请稍后再试。",
    "ms": "Maaf, ada masalah di pihak kami. Sila cuba sebentar lagi.",
    "ta": "மன்னிக்கவும், எங்கள் பக்கத்தில் ஒரு பிழை ஏற்பட்டது. சிறிது நேரத்தில் மீண்டும் முயற்சிக்கவும்.",
}


def without_lone_surrogates(value: Any) -> Any:
    """Strings with every lone surrogate replaced by U+FFFD (same length); dicts and lists walked."""
    if isinstance(value, str):
        if any("\ud800" <= ch <= "\udfff" for ch in value):
            return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in value)
        return value
    if isinstance(value, dict):
        return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_lone_surrogates(v) for v in value]
    return value


class _Languages:
    """sender -> the conversation's language, remembered for a minute (so a flood costs one tracker read)."""

    TTL, MAX = 60.0, 10_000

    def __init__(self) -> None:
        self._known: Dict[str, tuple] = {}

    async def of(self, request: Request, sender: Optional[str], text: str) -> str:
        now = time.monotonic()
        hit = self._known.get(sender or "")
        if hit and hit[1] > now:
            return hit[0]
        language = await self._from_tracker(request, sender) or self._from_text(text) or "en"
        if len(self._known) >= self.MAX:
            self._known.clear()
        self._known[sender or ""] = (language, now + self.TTL)
        return language

    @staticmethod
    async def _from_tracker(request: Request, sender: Optional[str]) -> Optional[str]:
        agent = getattr(request.app.ctx, "agent", None)
        store = getattr(agent, "tracker_store", None)
        if not sender or store is None:
            return None
        try:
            tracker = await asyncio.wait_for(store.retrieve(sender), timeout=1.0)
        except Exception:  # noqa: BLE001 - the language is a nicety; never fail the answer for it
            return None
        value = tracker.get_slot("language") if tracker is not None else None
        return value if value in ratelimit.SLOW_DOWN else None

    @staticmethod
    def _from_text(text: str) -> Optional[str]:
        try:
            from moments.nlu.language import detect_language

            return detect_language(text[:500])
        except Exception:  # noqa: BLE001
            return None


class SafeRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    @staticmethod
    def _body(req: Request) -> Dict[Text, Any]:
        try:
            body = req.json
        except Exception:  # sanic raises on a body that is not JSON
            body = None
        if not isinstance(body, dict):
            raise SanicException('expected a JSON object like {"sender": "…", "message": "…"}', status_code=400)
        return body

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        sender = self._body(req).get("sender")
        if sender is None:
            return None  # Rasa picks a default conversation id
        if not isinstance(sender, (str, int)) or not str(sender).strip() or len(str(sender)) > 255:
            raise SanicException('"sender" must be a non-empty string of at most 255 characters', status_code=400)
        if without_lone_surrogates(str(sender)) != str(sender):
            raise SanicException('"sender" is not valid Unicode', status_code=400)
        return str(sender)

    def _extract_message(self, req: Request) -> Optional[Text]:
        message = self._body(req).get("message")
        if message is None:
            message = ""
        if not isinstance(message, str):
            raise SanicException('"message" must be a string', status_code=400)
        return without_lone_surrogates(message[:MAX_MESSAGE_CHARS])

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()  # never what the caller claims

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        metadata = self._body(request).get("metadata")
        return without_lone_surrogates(metadata) if isinstance(metadata, dict) else None

    # -- the webhook ----------------------------------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """Rasa's two routes (GET / and POST /webhook), with the rate limits and without the silent `[]`."""
        bp = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)
        limits = ratelimit.ChannelLimits("rest")
        languages = _Languages()

        async def refused(request: Request, sender: Optional[str], text: str) -> Optional[response.HTTPResponse]:
            decision = await limits.acheck(sender, limits.address(request.ip, request.headers.get("x-forwarded-for")))
            if decision.allowed:
                return None
            language = await languages.of(request, sender, text)
            return response.json([{"recipient_id": sender or "default", "text": ratelimit.slow_down_text(language)}],
                                 status=429, headers={"Retry-After": decision.retry_after_header})

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> response.HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            sender_id = await self._extract_sender(request)
            text = self._extract_message(request)
            input_channel = self._extract_input_channel(request)
            metadata = self.get_metadata(request)
            limited = await refused(request, sender_id, text)
            if limited is not None:
                return limited
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                return response.stream(self.stream_response(on_new_message, text, sender_id, input_channel, metadata),
                                       content_type="text/event-stream")
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(text, collector, sender_id, input_channel=input_channel,
                                                 metadata=metadata))
            except (asyncio.CancelledError, Exception) as exc:  # noqa: BLE001 - a timeout is a CancelledError
                logger.error("rest: a message could not be handled (%s); %d replies were ready",
                             exc.__class__.__name__, len(collector.messages))
                if collector.messages:
                    return response.json(collector.messages)
                language = await languages.of(request, sender_id, text)
                return response.json([{"recipient_id": sender_id or "default", "text": SORRY.get(language, SORRY["en"])}],
                                     status=500)
            return response.json(collector.messages)

        return bp
