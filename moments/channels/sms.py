"""`sms`: a Rasa input channel for text messages (SMS, WhatsApp) through a Twilio-style webhook.

    POST /webhooks/sms/webhook   form-encoded From, Body, MessageSid  ->  TwiML <Response><Message>…

Registered in credentials.yml as `moments.channels.sms.SmsInput`. What it does — signatures, numbered
menus, segments, retries — is in moments.channels.gateway; this module connects it to Rasa: the Sanic
blueprint, the output channel whose name ("sms") selects `channel: sms` response variations, and the
agent (to process a message and read the conversation's `language` slot from the tracker store).
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from moments.channels.gateway import (
    CHANNEL_NAME,
    WEBHOOK_PATH,
    Conversation,
    SmsConfig,
    SmsGateway,
    too_large,
)
from moments.channels.stores import SmsStore

logger = logging.getLogger(__name__)


class SmsOutput(CollectingOutputChannel):
    """Collects the bot's messages; its name makes Rasa pick `channel: sms` response variations."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_NAME


class RasaAssistant:
    """The running Rasa agent, as the gateway sees it."""

    def __init__(self, app: Any, on_new_message: Callable[[Any], Awaitable[Any]]):
        self.app = app
        self.on_new_message = on_new_message

    @property
    def agent(self) -> Any:
        return getattr(self.app.ctx, "agent", None)

    def ready(self) -> bool:
        return self.agent is not None and self.agent.is_ready()

    async def process(self, text: str, conversation_id: str, metadata: Dict[str, Any],
                      message_id: Optional[str]) -> List[Dict[str, Any]]:
        collector = SmsOutput()
        await self.on_new_message(UserMessage(text, collector, conversation_id, input_channel=CHANNEL_NAME,
                                               metadata=metadata, message_id=message_id))
        return collector.messages

    async def conversation(self, conversation_id: str) -> Conversation:
        """The `language` slot and whether a form is active, from the agent's tracker store."""
        agent = self.agent
        if agent is None or agent.tracker_store is None:
            return Conversation()
        tracker = await agent.tracker_store.retrieve(conversation_id)
        if tracker is None:
            return Conversation()
        return Conversation(language=tracker.get_slot("language"), in_form=bool(tracker.active_loop_name),
                            form=tracker.active_loop_name or None, last_turn=last_turn(tracker.events))


def last_turn(events: Any) -> Tuple[Dict[str, Any], ...]:
    """The bot's messages after the last user message, each as the output channel got it."""
    turn: List[Dict[str, Any]] = []
    for event in reversed(list(events)):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            turn.append({"text": event.text, **{k: v for k, v in (event.data or {}).items() if v}})
    return tuple(reversed(turn))


class SmsInput(InputChannel):
    """Rasa input channel `sms` (credentials.yml key: moments.channels.sms.SmsInput)."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "SmsInput":
        """Refuses to start (SystemExit, so Rasa stops) without strong secrets unless MOMENTS_DEV=1."""
        return cls(SmsConfig.from_credentials(credentials).checked())

    def __init__(self, config: Optional[SmsConfig] = None, store: Optional[SmsStore] = None) -> None:
        self.config = config if config is not None else SmsConfig.from_credentials({}).checked()
        self.gateway = SmsGateway(self.config, store)
        if not self.config.check_signatures:
            logger.warning("SMS channel: X-Twilio-Signature is NOT checked (MOMENTS_DEV=1 without TWILIO_AUTH_TOKEN)")
        logger.info("SMS channel at %s (store: %s)", WEBHOOK_PATH, self.gateway.store.describe())

    def public_url(self, request: Request) -> str:
        """The URL Twilio signed: SMS_PUBLIC_URL (+ this path unless it names the webhook) or the request's."""
        base = self.config.public_url.strip()
        if not base:
            return request.url
        base = base.rstrip("/")
        url = base if base.endswith(WEBHOOK_PATH) else base + request.path
        return url + (f"?{request.query_string}" if request.query_string else "")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("moments_sms_webhook", __name__)
        limit = self.config.max_request_bytes

        @bp.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"], stream=True)
        async def webhook(request: Request) -> HTTPResponse:
            declared = request.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                reply = too_large(limit)
            else:
                body = await _read_body(request, limit)
                if body is None:
                    reply = too_large(limit)
                else:
                    reply = await self.gateway.handle(
                        body, self.public_url(request), request.headers.get("x-twilio-signature"),
                        request.headers.get("content-type"), RasaAssistant(request.app, on_new_message),
                        client=request.remote_addr or request.ip)
            return HTTPResponse(reply.body, status=reply.status, content_type=reply.content_type)

        return bp

    def get_output_channel(self) -> None:
        return None  # replies travel in the webhook's HTTP response; there is no way to send unprompted


async def _read_body(request: Request, limit: int) -> Optional[bytes]:
    """The request body, or None as soon as it exceeds `limit` bytes (the rest is not read)."""
    if request.stream is None:  # not a streaming request (e.g. a test client): already read
        body = request.body or b""
        return None if len(body) > limit else body
    chunks = bytearray()
    async for chunk in request.stream:
        chunks += chunk
        if len(chunks) > limit:
            return None
    return bytes(chunks)
