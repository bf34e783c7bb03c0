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

No reply is lost to a dropped socket (issue 16): every `bot_uttered` carries an `id` derived from the tracker
(the bot event's timestamp, an index among bot events of the same timestamp, and the part of the text),
so the same message has the same id whether it is emitted live or read back from the tracker store later.
After a (re)connect the widget sends `replay_request {"session_id", "after": <last id it showed>, "token"?}`
and gets `{"ok": true, "messages": [...]}`: the bot messages of the socket's own session after that id, read
under the conversation's lock (a turn still running finishes and is saved first). Only the session this socket
joined with its key can be read; a conversation a logged-in person had is replayed only to that person.
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
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Text

import jwt
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered
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
# A bot message's id: "<bot event timestamp>:<n-th bot event of that timestamp>:<part of its text>".
_BOT_ID = re.compile(r"(\d{1,12}(?:\.\d{1,20})?):(\d{1,4}):(\d{1,4})")
MAX_REPLAY = 50  # bot messages one replay_request returns at most (the latest ones)


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


def widget_messages(message: Dict[str, Any]) -> List[Dict[str, Any]]:
    """What the widget receives for one bot message (`BotUttered.message()`), as Rasa's SocketIOOutput splits it:
    one `{"text"}` per paragraph (blank line), the buttons as `quick_replies` on the last one, then an image or
    attachment. The same function renders live messages and replayed ones, so their parts (and ids) match."""
    out: List[Dict[str, Any]] = []
    text = message.get("text") or ""
    buttons = message.get("quick_replies") or message.get("buttons") or []
    if text or buttons:
        parts = text.strip().split("\n\n") if text.strip() else [""]
        out = [{"text": part, "quick_replies": []} if buttons else {"text": part} for part in parts]
        if buttons:
            out[-1]["quick_replies"] = [
                {"content_type": "text", "title": b.get("title"), "payload": b.get("payload")}
                for b in buttons if isinstance(b, dict)]
    if message.get("image"):
        out.append({"attachment": {"type": "image", "payload": {"src": message["image"]}}})
    if message.get("attachment"):
        out.append({"attachment": message["attachment"]})
    return out


def bot_message_id(timestamp: float, occurrence: int, part: int) -> str:
    return f"{timestamp!r}:{occurrence}:{part}"


def _id_order(message_id: str) -> Optional[tuple]:
    m = _BOT_ID.fullmatch(message_id)
    return (float(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def tracker_messages(events: Iterable[Any]) -> List[Dict[str, Any]]:
    """Every bot message of the tracker's events as the widget receives it, with its id, in tracker order."""
    out: List[Dict[str, Any]] = []
    same_time: Dict[float, int] = {}
    for event in events:
        if not isinstance(event, BotUttered) or event.timestamp is None:
            continue
        n = same_time.get(event.timestamp, 0)
        same_time[event.timestamp] = n + 1
        for k, payload in enumerate(widget_messages(event.message())):
            out.append({**payload, "id": bot_message_id(event.timestamp, n, k)})
    return out


def messages_after(messages: List[Dict[str, Any]], after: Optional[str], limit: int = MAX_REPLAY
                   ) -> List[Dict[str, Any]]:
    """The messages after the one with id `after` (all of them without one), the latest `limit`. An id no longer
    in the list (an earlier Rasa session, or the tracker was trimmed) counts by its time."""
    if after:
        ids = [m["id"] for m in messages]
        if after in ids:
            messages = messages[ids.index(after) + 1:]
        else:
            order = _id_order(after)
            messages = [m for m in messages if order is None or (_id_order(m["id"]) or ()) > order]
    return messages[-limit:] if limit else []


class RecentMessages:
    """The bot messages this process emitted lately, as emitted (in memory only, never at rest): a replay shows
    them as they were sent, since the tracker store keeps bot texts masked (NRIC S****567D, certificate links
    without their signed part). Which messages a replay returns, and in what order, always comes from the
    tracker; a message emitted by another replica, or before a restart, is replayed as the tracker keeps it."""

    def __init__(self, max_entries: int = 5000, ttl: float = 3600.0):
        self._kept: "OrderedDict[tuple, tuple]" = OrderedDict()
        self._max = max_entries
        self._ttl = ttl

    def add(self, session_id: str, message: Dict[str, Any]) -> None:
        now = time.monotonic()
        while self._kept and (len(self._kept) >= self._max or next(iter(self._kept.values()))[0] < now - self._ttl):
            self._kept.popitem(last=False)
        self._kept[(session_id, message["id"])] = (now, message)

    def get(self, session_id: str, message_id: str) -> Optional[Dict[str, Any]]:
        kept = self._kept.get((session_id, message_id))
        if kept is None or kept[0] < time.monotonic() - self._ttl:
            return None
        return kept[1]


class WebChatOutput(SocketIOOutput):
    """Rasa's socket.io output, with an id on every message (see `tracker_messages`) and a copy kept for replays."""

    def __init__(self, sio: AsyncServer, bot_message_evt: Text, recent: RecentMessages) -> None:
        super().__init__(sio, bot_message_evt)
        self.recent = recent
        self._same_time: Dict[float, int] = {}  # bot events of one turn with the same timestamp (rare)

    async def send_response(self, recipient_id: Text, message: Dict[str, Any]) -> None:
        timestamp = message.get("timestamp")
        if not isinstance(timestamp, (int, float)):
            # not a tracker event (a caller of the output channel itself): no id, nothing to replay
            await super().send_response(recipient_id, message)
            return
        n = self._same_time.get(timestamp, 0)
        self._same_time[timestamp] = n + 1
        for k, payload in enumerate(widget_messages(message)):
            payload = {**payload, "id": bot_message_id(timestamp, n, k)}
            self.recent.add(recipient_id, payload)
            await self._send_message(recipient_id, payload)
        # Rasa's custom JSON and generic-template elements (our domain sends neither): live only, never replayed.
        if message.get("custom"):
            await self.send_custom_json(recipient_id, message["custom"])
        if message.get("elements"):
            await self.send_elements(recipient_id, message["elements"])


class ReplayRefused(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class _Blueprint(SocketBlueprint):
    """Rasa's socket.io blueprint that also tells the channel which Sanic app (and so which agent) it serves."""

    def register(self, app: Any, options: Dict[Text, Any]) -> None:
        self.ctx.on_register(app)
        super().register(app, options)


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
        self.recent = RecentMessages()
        self.app: Any = None  # the Sanic app, once the blueprint is registered (its ctx.agent: tracker and lock store)

    def get_output_channel(self) -> Optional[WebChatOutput]:
        """For Rasa's API (`/conversations/<id>/trigger_intent?output_channel=socketio`): ids on those too."""
        sio = getattr(self, "sio", None)
        return WebChatOutput(sio, self.bot_message_evt, self.recent) if sio is not None else None

    async def missed_messages(self, session_id: str, after: Optional[str], person_id: Optional[str]
                              ) -> List[Dict[str, Any]]:
        """The bot messages of `session_id` after the id `after`, from the tracker store, read under the
        conversation's lock so that a turn still running is finished and saved first (its messages emitted while
        the socket was down are then in the tracker). ReplayRefused("forbidden") when the conversation's latest
        logged-in message was from another person than `person_id` (or the requester is not logged in)."""
        agent = getattr(getattr(self.app, "ctx", None), "agent", None)
        if agent is None or agent.tracker_store is None:
            raise ReplayRefused("not_ready")
        async with agent.lock_store.lock(session_id, wait_time_in_seconds=0.05):
            tracker = await agent.tracker_store.retrieve(session_id)
        if tracker is None:
            return []
        owner = None
        for event in reversed(tracker.events):
            if event.type_name == "user" and (event.metadata or {}).get("person_id"):
                owner = str(event.metadata["person_id"])
                break
        if owner is not None and owner != person_id:
            raise ReplayRefused("forbidden")
        messages = messages_after(tracker_messages(tracker.events), after)
        return [self.recent.get(session_id, m["id"]) or m for m in messages]

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
        bp = _Blueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        bp.ctx.on_register = lambda app: setattr(self, "app", app)
        self.sio = sio
        ns = self.namespace

        @bp.route("/", methods=["GET"])
        async def health(_: Any) -> Any:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=ns)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            token = auth.get("token") if isinstance(auth, dict) else None
            person_id = person_until = None
            if token:
                try:
                    claims = self.verify(token)
                except TokenError as e:
                    logger.info("web chat: refused a connection (%s)", e.code)
                    raise RefuseConnection(e.code)
                person_id, person_until = str(claims["sub"]), claims["exp"]
            await sio.save_session(sid, {"person_id": person_id, "person_until": person_until, "session_id": None,
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
                text, WebChatOutput(sio, self.bot_message_evt, self.recent), session_id,
                input_channel=self.name(), message_id=message_id, metadata=metadata,
            )
            try:
                await on_new_message(message)
            except Exception:  # the turn failed; the widget says so in the user's language
                logger.exception("web chat: handling a message failed")
                return {"ok": False, "error": "server_error"}
            return {"ok": True}

        @sio.on("replay_request", namespace=ns)
        async def replay_request(sid: Text, data: Any = None, *_: Any) -> Dict[str, Any]:
            """The bot messages of this socket's session after `after` (see `missed_messages`). The session is the
            one this socket joined with its key (session_request): the id in the request must be that one."""
            if not isinstance(data, dict):
                return {"ok": False, "error": "bad_request"}
            state = await sio.get_session(sid, namespace=ns)
            refused = await self.admit(sid, state, data)
            if refused is not None:
                return refused
            session_id = state.get("session_id")
            if not session_id or data.get("session_id") != session_id:
                return {"ok": False, "error": "no_session"}
            after = data.get("after")
            if after is not None and not (isinstance(after, str) and _BOT_ID.fullmatch(after)):
                return {"ok": False, "error": "bad_request"}
            # Who is asking: the token sent along, else the connection's while it is valid.
            person_id = state.get("person_id") if (state.get("person_until") or 0) > time.time() else None
            if data.get("token"):  # logged in after this socket connected: the page sends its token along
                try:
                    person_id = str(self.verify(data["token"])["sub"])
                except TokenError as e:
                    return {"ok": False, "error": e.code}
            try:
                messages = await self.missed_messages(session_id, after, person_id)
            except ReplayRefused as e:
                logger.info("web chat: a replay was refused (%s)", e.code)
                return {"ok": False, "error": e.code}
            except Exception:
                logger.exception("web chat: reading the missed messages failed")
                return {"ok": False, "error": "server_error"}
            return {"ok": True, "messages": messages}

        return bp


def _client_address(environ: Any) -> Optional[str]:
    """The peer's address as python-socketio's Sanic integration hands it over (best effort; None if unknown)."""
    if not isinstance(environ, dict):
        return None
    request = environ.get("sanic.request")
    address = getattr(request, "remote_addr", None) or getattr(request, "ip", None) if request is not None else None
    return address or environ.get("REMOTE_ADDR") or None
