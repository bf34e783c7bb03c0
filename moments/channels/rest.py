"""The REST channel (`POST /webhooks/rest/webhook`), hardened.

Rasa's own RestInput answers 500 to a body that is not a JSON object or lacks a text message, and lets the caller
name the input channel (`"input_channel": "sms"`). Identity rests on the channel (actions trust a phone number
only from the sms channel), so this one always says "rest" and answers malformed requests with 400.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.channels.rest import RestInput
from sanic.exceptions import SanicException
from sanic.request import Request

MAX_MESSAGE_CHARS = 20_000


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
        return str(sender)

    def _extract_message(self, req: Request) -> Optional[Text]:
        message = self._body(req).get("message")
        if message is None:
            message = ""
        if not isinstance(message, str):
            raise SanicException('"message" must be a string', status_code=400)
        return message[:MAX_MESSAGE_CHARS]

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()  # never what the caller claims

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        metadata = self._body(request).get("metadata")
        return metadata if isinstance(metadata, dict) else None
