"""What the SMS channel remembers between two requests of the same phone.

- the last numbered menu each conversation saw (so "2" means the second option), and
- the reply to each message Twilio delivered (Twilio retries a webhook it thinks failed; a retry with
  the same MessageSid gets the same TwiML back and is not processed again), and
- a fingerprint of every MessageSid processed (the signed request's parameters) for SEEN_TTL: the same
  MessageSid with other parameters is a forgery (CONFLICT), and the same request after RETRY_WINDOW is a
  replay (STALE); the gateway answers both with 403.

`MemorySmsStore` keeps both in this process: right for one Rasa server (`make run`). With several Rasa
replicas behind a load balancer a retry can reach another replica, so use `RedisSmsStore` — chosen by
configuration only: `SMS_STORE_URL=redis://host:6379/2` (see credentials.yml).
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any, Optional, Tuple

from moments.channels.menus import Menu

logger = logging.getLogger(__name__)

MENU_TTL = 24 * 3600      # a menu older than a day is forgotten ("2" is then just text)
RETRY_WINDOW = 15 * 60    # Twilio retries within seconds to minutes; later, the same request is a replay
SEEN_TTL = 30 * 24 * 3600  # how long a processed MessageSid is remembered (and a replay of it refused)
REPLY_TTL = SEEN_TTL      # (kept for compatibility: a message's record lives this long)
PENDING_TTL = 120         # a claim whose owner died is released after this long


@dataclass(frozen=True)
class StoredReply:
    """An HTTP answer to replay for a retried MessageSid."""

    status: int
    body: str
    content_type: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> "StoredReply":
        return cls(**json.loads(raw))


class ClaimState(Enum):
    NEW = "new"            # this request owns the message: process it, then finish()
    PENDING = "pending"    # another request is processing the same message right now
    DONE = "done"          # processed before, within RETRY_WINDOW: replay the stored reply
    CONFLICT = "conflict"  # this MessageSid was processed with other parameters: not Twilio's retry
    STALE = "stale"        # processed more than RETRY_WINDOW ago: a replayed request


@dataclass(frozen=True)
class _Seen:
    """What the store keeps per message: its fingerprint, when it was first claimed, and its reply once done."""

    fingerprint: str
    at: float
    reply: Optional[StoredReply] = None

    def to_json(self) -> str:
        return json.dumps({"fp": self.fingerprint, "at": self.at,
                           "reply": asdict(self.reply) if self.reply else None}, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> "_Seen":
        data = json.loads(raw)
        reply = data.get("reply")
        return cls(data.get("fp", ""), float(data.get("at", 0)), StoredReply(**reply) if reply else None)


def _state_of(seen: "_Seen", fingerprint: str, now: float, window: float = RETRY_WINDOW
              ) -> Tuple[ClaimState, Optional[StoredReply]]:
    if fingerprint and seen.fingerprint and not hmac.compare_digest(seen.fingerprint, fingerprint):
        return ClaimState.CONFLICT, None
    if seen.reply is None:
        return ClaimState.PENDING, None
    if now - seen.at > window:
        return ClaimState.STALE, None
    return ClaimState.DONE, seen.reply


class SmsStore(ABC):
    retry_window: float = RETRY_WINDOW  # seconds a retry gets the first reply; later the same request is refused
    @abstractmethod
    async def get_menu(self, conversation_id: str) -> Optional[Menu]: ...

    @abstractmethod
    async def set_menu(self, conversation_id: str, menu: Optional[Menu]) -> None:
        """Remember `menu` (None forgets: the last reply had no buttons)."""

    @abstractmethod
    async def claim(self, message_key: str, fingerprint: str = "") -> Tuple[ClaimState, Optional[StoredReply]]:
        """Atomically claim a message for processing, or report that it is pending, done, conflicting (same key,
        other fingerprint) or stale (done longer than RETRY_WINDOW ago)."""

    @abstractmethod
    async def finish(self, message_key: str, reply: StoredReply) -> None: ...

    async def wait_for_reply(self, message_key: str, timeout: float, poll: float = 0.2) -> Optional[StoredReply]:
        """For a PENDING message: the reply once its first delivery finished, or None after `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            await asyncio.sleep(poll)
            state, reply = await self.claim_peek(message_key)
            if state in (ClaimState.DONE, ClaimState.STALE):
                return reply
        return None

    @abstractmethod
    async def claim_peek(self, message_key: str, fingerprint: str = ""
                         ) -> Tuple[Optional[ClaimState], Optional[StoredReply]]:
        """The state of a message without claiming it (None: never seen)."""

    async def close(self) -> None:
        pass

    def describe(self) -> str:
        return type(self).__name__


class _TtlDict:
    """A small dict whose entries expire, bounded in size (oldest dropped first)."""

    def __init__(self, ttl: float, max_items: int):
        self.ttl, self.max_items = ttl, max_items
        self._data: "OrderedDict[str, Tuple[float, Any]]" = OrderedDict()

    def get(self, key: str) -> Any:
        item = self._data.get(key)
        if item is None:
            return None
        expires, value = item
        if expires < time.monotonic():
            del self._data[key]
            return None
        return value

    def set(self, key: str, value: Any, ttl: Optional[float] = None) -> None:
        self._data.pop(key, None)
        self._data[key] = (time.monotonic() + (ttl if ttl is not None else self.ttl), value)
        while len(self._data) > self.max_items:
            self._data.popitem(last=False)

    def pop(self, key: str) -> None:
        self._data.pop(key, None)


class MemorySmsStore(SmsStore):
    """In this process only (one Rasa server). Safe within one asyncio loop: no awaits inside updates."""

    def __init__(self, max_items: int = 100_000):
        self._menus = _TtlDict(MENU_TTL, max_items)
        self._replies = _TtlDict(SEEN_TTL, max_items)

    async def get_menu(self, conversation_id: str) -> Optional[Menu]:
        data = self._menus.get(conversation_id)
        return Menu.from_json(data) if data else None

    async def set_menu(self, conversation_id: str, menu: Optional[Menu]) -> None:
        if menu is None:
            self._menus.pop(conversation_id)
        else:
            self._menus.set(conversation_id, menu.to_json())

    async def claim(self, message_key: str, fingerprint: str = "") -> Tuple[ClaimState, Optional[StoredReply]]:
        seen = self._replies.get(message_key)
        if seen is None:
            self._replies.set(message_key, _Seen(fingerprint, time.time()), ttl=PENDING_TTL)
            return ClaimState.NEW, None
        return _state_of(seen, fingerprint, time.time(), self.retry_window)

    async def claim_peek(self, message_key: str, fingerprint: str = ""
                         ) -> Tuple[Optional[ClaimState], Optional[StoredReply]]:
        seen = self._replies.get(message_key)
        if seen is None:
            return None, None
        state, reply = _state_of(seen, fingerprint, time.time(), self.retry_window)
        return state, (seen.reply if state is ClaimState.STALE else reply)

    async def finish(self, message_key: str, reply: StoredReply) -> None:
        seen = self._replies.get(message_key)
        self._replies.set(message_key, _Seen(seen.fingerprint if seen else "", seen.at if seen else time.time(),
                                             reply))


class RedisSmsStore(SmsStore):
    """Shared by all Rasa replicas: menus and replies in Redis, with the same TTLs."""

    def __init__(self, url: str, key_prefix: str = "moments:sms:"):
        import redis.asyncio as redis  # redis-py ships with Rasa

        self.url = url
        self.prefix = key_prefix
        self._redis = redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3, decode_responses=True)

    def _menu_key(self, conversation_id: str) -> str:
        return f"{self.prefix}menu:{conversation_id}"

    def _reply_key(self, message_key: str) -> str:
        return f"{self.prefix}reply:{message_key}"

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def get_menu(self, conversation_id: str) -> Optional[Menu]:
        raw = await self._redis.get(self._menu_key(conversation_id))
        return Menu.from_json(json.loads(raw)) if raw else None

    async def set_menu(self, conversation_id: str, menu: Optional[Menu]) -> None:
        key = self._menu_key(conversation_id)
        if menu is None:
            await self._redis.delete(key)
        else:
            await self._redis.set(key, json.dumps(menu.to_json(), ensure_ascii=False), ex=MENU_TTL)

    async def claim(self, message_key: str, fingerprint: str = "") -> Tuple[ClaimState, Optional[StoredReply]]:
        key = self._reply_key(message_key)
        pending = _Seen(fingerprint, time.time()).to_json()
        if await self._redis.set(key, pending, nx=True, ex=PENDING_TTL):
            return ClaimState.NEW, None
        state, reply = await self.claim_peek(message_key, fingerprint)
        if state is None:  # expired between the two calls: try once more
            if await self._redis.set(key, pending, nx=True, ex=PENDING_TTL):
                return ClaimState.NEW, None
            state, reply = await self.claim_peek(message_key, fingerprint)
        return state or ClaimState.PENDING, reply

    async def claim_peek(self, message_key: str, fingerprint: str = ""
                         ) -> Tuple[Optional[ClaimState], Optional[StoredReply]]:
        raw = await self._redis.get(self._reply_key(message_key))
        if raw is None:
            return None, None
        try:
            seen = _Seen.from_json(raw)
        except (ValueError, TypeError, AttributeError):  # an entry of an older version: treat as processed
            return ClaimState.STALE, None
        state, reply = _state_of(seen, fingerprint, time.time(), self.retry_window)
        return state, (seen.reply if state is ClaimState.STALE else reply)

    async def finish(self, message_key: str, reply: StoredReply) -> None:
        key = self._reply_key(message_key)
        raw = await self._redis.get(key)
        try:
            seen = _Seen.from_json(raw) if raw else None
        except (ValueError, TypeError, AttributeError):
            seen = None
        done = _Seen(seen.fingerprint if seen else "", seen.at if seen else time.time(), reply)
        await self._redis.set(key, done.to_json(), ex=SEEN_TTL)

    async def close(self) -> None:
        await self._redis.close()

    def describe(self) -> str:
        return f"RedisSmsStore({self.url.split('@')[-1]})"  # never log a password in the URL


def store_from_url(url: Optional[str]) -> SmsStore:
    """'' / None / 'memory' -> in-process; 'redis://…' / 'rediss://…' -> Redis."""
    if not url or url == "memory":
        return MemorySmsStore()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisSmsStore(url)
    raise ValueError(f"SMS store URL must be empty, 'memory' or redis://…, not {url.split('@')[-1]!r}")
