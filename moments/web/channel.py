"""Rasa input channel for the web widget: socket.io with identity checks, session rooms and de-duplication.

Configured in credentials.yml as `moments.web.channel.WebChatInput` (its name stays `socketio`, so
`channel: socketio` response variations and the tracker's input_channel read as for Rasa's own channel).
It speaks the protocol of Rasa's `socketio` channel (session_request → session_confirm, user_uttered →
bot_uttered) and replaces it because, with the python-socketio 5.x that Rasa 3.6 installs:

- Rasa's channel calls the now-async `sio.enter_room` without awaiting it, so with `session_persistence: true`
  the socket never joins its session's room and the bot's replies reach no one;
- Rasa's `jwt_key` check decodes without an audience, so it rejects every mock-Singpass token (they carry
  `aud`), and it checks only the connection, never the token a message carries in its metadata.

What this channel does instead:

- connect: no token → a guest (anonymous questions work); a token in the socket.io `auth` → it must verify
  (HS256, the agency service's secret, issuer/audience of the mock Singpass), else the connection is refused
  with the reason (`token_expired` / `token_invalid`) so the page can ask the user to log in again;
- every message: the metadata the client sends (`customData`) is untrusted input. The channel rebuilds it:
  `{"channel": "web", "language": en|zh|ms|ta, "message_id": ..., "token": ..., "person_id": ...}`, where
  `token`/`person_id` are present only when the token verified just now; anything else is dropped;
- a session belongs to whoever holds its session key: `session_confirm` sends the session id and a key
  (HMAC of the id with a key derived from the channel's secret); a later `session_request` for that id must
  present the key (the widget keeps both in localStorage, so reloads, reconnects and other tabs of the same
  browser continue). A request for an existing id without its key gets a fresh session, never that
  conversation's replies. Stateless: it survives restarts and works across replicas;
- a message whose `message_id` was already seen for that session is acknowledged, not processed again
  (the widget re-sends after a reconnect until it gets the acknowledgement);
- over-long or empty messages are refused with an error the widget shows in the user's language.

Every `user_uttered` is acknowledged (socket.io ack) once the bot has finished its turn: `{"ok": true}`,
`{"ok": true, "duplicate": true}` or `{"ok": false, "error": code}`.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import time
import uuid
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import jwt
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from socketio import AsyncServer
from socketio.exceptions import ConnectionRefusedError as RefuseConnection

from moments.ratelimit import ChannelLimits

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "zh", "ms", "ta")
# What the mock Singpass login (moments/agencies/security.py) puts in its tokens;
# tests/browser/test_socket_channel.py checks the two stay the same.
SINGPASS_ISSUER = "mock-singpass"
SINGPASS_AUDIENCE = "moments-agencies"
TOKEN_SECRET_ENV = "AGENCIES_TOKEN_SECRET"
DEFAULT_MAX_MESSAGE_CHARS = 1000
_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


class TokenError(Exception):
    """The token did not verify; `code` is `token_expired` or `token_invalid`."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def default_token_secret() -> str:
    """The agency service's signing secret, AGENCIES_TOKEN_SECRET (this installation's, from var/secrets.env).
    Refuses (SystemExit) an empty or development value unless MOMENTS_DEV=1."""
    from moments import secrets

    return secrets.require("web channel", [TOKEN_SECRET_ENV])[TOKEN_SECRET_ENV]


def verify_citizen_token(token: Any, secret: str, algorithm: str = "HS256") -> Dict[str, Any]:
    """Claims of a valid mock-Singpass token, else TokenError."""
    if not isinstance(token, str) or not token or len(token) > 4096:
        raise TokenError("token_invalid")
    try:
        return jwt.decode(
            token, secret, algorithms=[algorithm], audience=SINGPASS_AUDIENCE, issuer=SINGPASS_ISSUER,
            leeway=5, options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("token_expired") from None
    except jwt.PyJWTError:
        raise TokenError("token_invalid") from None


class SessionKeys:
    """Per-session secrets: key = HMAC-SHA256(HMAC-SHA256(channel secret, purpose), session id). Whoever created a
    session got its key; nobody else can compute it, so a session id seen in a log or a tracker store opens nothing."""

    def __init__(self, secret: str):
        if not secret:
            raise ValueError("the web channel needs a secret to bind sessions")
        self._key = hmac.new(secret.encode("utf-8"), b"moments-web-session-key/v1", hashlib.sha256).digest()

    def key_for(self, session_id: str) -> str:
        return hmac.new(self._key, session_id.encode("utf-8"), hashlib.sha256).hexdigest()

    def valid(self, session_id: str, key: Any) -> bool:
        return isinstance(key, str) and hmac.compare_digest(self.key_for(session_id), key)


class SeenMessages:
    """Message ids already accepted, per session: bounded and forgetting after `ttl` seconds."""

    def __init__(self, max_entries: int = 20000, ttl: float = 3600.0):
        self._seen: "OrderedDict[tuple, float]" = OrderedDict()
        self._max = max_entries
        self._ttl = ttl

    def first_time(self, session_id: str, message_id: str) -> bool:
        now = time.monotonic()
        while self._seen and (len(self._seen) >= self._max or next(iter(self._seen.values())) < now - self._ttl):
            self._seen.popitem(last=False)
        key = (session_id, message_id)
        if key in self._seen:
            return False
        self._seen[key] = now
        return True


class WebChatInput(SocketIOInput):
    """socket.io channel of the web widget (see the module docstring)."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WebChatInput":
        c = credentials or {}
        return cls(
            user_message_evt=c.get("user_message_evt", "user_uttered"),
            bot_message_evt=c.get("bot_message_evt", "bot_uttered"),
            namespace=c.get("namespace"),
            session_persistence=bool(c.get("session_persistence", True)),
            socketio_path=c.get("socketio_path", "/socket.io"),
            jwt_key=c.get("jwt_key") or default_token_secret(),
            jwt_method=c.get("jwt_method", "HS256"),
            metadata_key=c.get("metadata_key", "customData"),
            max_message_chars=int(c.get("max_message_chars", DEFAULT_MAX_MESSAGE_CHARS)),
        )

    def __init__(self, *args: Any, max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.jwt_algorithm not in ("HS256", "HS384", "HS512"):
            raise ValueError(f"jwt_method must be an HMAC algorithm (the agency signs with HS256), not {self.jwt_algorithm}")
        if not self.session_persistence:
            raise ValueError("the web widget needs session_persistence: true (a reload keeps the conversation)")
        self.max_message_chars = max_message_chars
        self.seen = SeenMessages()
        self.session_keys = SessionKeys(self.jwt_key)
        self.limits = ChannelLimits("socketio")  # RATE_LIMIT_SENDER_MESSAGES / _ADDRESS_MESSAGES (moments.ratelimit)

    async def admit(self, sid: str, state: Dict[str, Any], data: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        """Entry point for per-sender / per-address limits: called for every `user_uttered` before anything is
        processed, with the socket's state ({"person_id", "session_id", "client"}); return an acknowledgement
        (e.g. {"ok": False, "error": "rate_limited"}) to refuse the message.

        Per session (the socket's own id before it has one) and per client address; the widget shows
        `rate_limited` in the user's language (static/js/i18n.js)."""
        decision = await self.limits.acheck(state.get("session_id") or sid, state.get("client"))
        if decision.allowed:
            return None
        return {"ok": False, "error": "rate_limited", "retry_after": int(decision.retry_after_header)}

    def verify(self, token: Any) -> Dict[str, Any]:
        return verify_citizen_token(token, self.jwt_key, self.jwt_algorithm)

    def clean_metadata(self, raw: Any) -> Dict[str, Any]:
        """The metadata actions see, rebuilt from what the client sent (TokenError if its token is bad)."""
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raw = {}
        if not isinstance(raw, dict):
            raw = {}
        metadata: Dict[str, Any] = {"channel": "web"}
        if raw.get("language") in LANGUAGES:
            metadata["language"] = raw["language"]
        if isinstance(raw.get("message_id"), str) and _ID.fullmatch(raw["message_id"]):
            metadata["message_id"] = raw["message_id"]
        if raw.get("token"):
            claims = self.verify(raw["token"])
            metadata["token"] = raw["token"]
            metadata["person_id"] = str(claims["sub"])
        return metadata

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # cors_allowed_origins=[] leaves origin checks to Sanic's --cors, as Rasa's own channel does. No cookie
        # carries identity (the token travels in the auth payload), so a cross-site socket gains nothing.
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[])
        bp = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio
        ns = self.namespace

        @bp.route("/", methods=["GET"])
        async def health(_: Any) -> Any:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=ns)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            token = auth.get("token") if isinstance(auth, dict) else None
            person_id = None
            if token:
                try:
                    person_id = str(self.verify(token)["sub"])
                except TokenError as e:
                    logger.info("web chat: refused a connection (%s)", e.code)
                    raise RefuseConnection(e.code)
            await sio.save_session(sid, {"person_id": person_id, "session_id": None,
                                         "client": _client_address(environ)}, namespace=ns)
            return True

        @sio.on("session_request", namespace=ns)
        async def session_request(sid: Text, data: Any = None, *_: Any) -> None:
            """Joins the session whose id *and* key the socket presents; anything else gets a new session."""
            wanted = data.get("session_id") if isinstance(data, dict) else None
            key = data.get("session_key") if isinstance(data, dict) else None
            if isinstance(wanted, str) and _ID.fullmatch(wanted) and self.session_keys.valid(wanted, key):
                session_id = wanted
            else:
                if wanted:
                    logger.info("web chat: a socket asked for a session without its key; it gets a new one")
                session_id = uuid.uuid4().hex
            state = await sio.get_session(sid, namespace=ns)
            if state.get("session_id") and state["session_id"] != session_id:
                await sio.leave_room(sid, state["session_id"], namespace=ns)
            await sio.enter_room(sid, session_id, namespace=ns)
            state["session_id"] = session_id
            await sio.save_session(sid, state, namespace=ns)
            await sio.emit("session_confirm", (session_id, self.session_keys.key_for(session_id)), room=sid,
                           namespace=ns)

        @sio.on(self.user_message_evt, namespace=ns)
        async def handle_message(sid: Text, data: Any = None, *_: Any) -> Dict[str, Any]:
            if not isinstance(data, dict):
                return {"ok": False, "error": "bad_request"}
            state = await sio.get_session(sid, namespace=ns)
            refused = await self.admit(sid, state, data)  # the one place a rate limit (or any other gate) plugs in
            if refused is not None:
                return refused
            session_id = state.get("session_id")
            if not session_id or data.get("session_id") != session_id:
                return {"ok": False, "error": "no_session"}
            text = data.get("message")
            if not isinstance(text, str) or not text.strip():
                return {"ok": False, "error": "empty"}
            if len(text) > self.max_message_chars:
                return {"ok": False, "error": "too_long", "max": self.max_message_chars}
            try:
                metadata = self.clean_metadata(data.get(self.metadata_key))
            except TokenError as e:
                return {"ok": False, "error": e.code}
            message_id = metadata.get("message_id")
            if message_id and not self.seen.first_time(session_id, message_id):
                logger.debug("web chat: message %s of %s already handled", message_id, session_id)
                return {"ok": True, "duplicate": True}
            message = UserMessage(
                text, SocketIOOutput(sio, self.bot_message_evt), session_id,
                input_channel=self.name(), message_id=message_id, metadata=metadata,
            )
            try:
                await on_new_message(message)
            except Exception:  # the turn failed; the widget says so in the user's language
                logger.exception("web chat: handling a message failed")
                return {"ok": False, "error": "server_error"}
            return {"ok": True}

        return bp


def _client_address(environ: Any) -> Optional[str]:
    """The peer's address as python-socketio's Sanic integration hands it over (best effort; None if unknown)."""
    if not isinstance(environ, dict):
        return None
    request = environ.get("sanic.request")
    address = getattr(request, "remote_addr", None) or getattr(request, "ip", None) if request is not None else None
    return address or environ.get("REMOTE_ADDR") or None
