"""A per-conversation lock that is atomic across Rasa replicas (Redis), with a short lease renewed while a turn runs.

Rasa OSS 3.6's RedisLockStore issues tickets with a GET-modify-SET of one JSON value (RasaHQ/rasa#9213): two replicas
that receive a message for the same conversation at the same moment both read "nobody is served", both take ticket
0 and both run the turn, and the SQL tracker store then keeps only one of the two turns' events. Measured on main:
a third of the user events lost in 40 concurrent pairs. And a replica killed mid-turn left its ticket in Redis for
the whole lock lifetime (60 s), freezing that conversation.

This lock store replaces the ticket queue by one Redis key per conversation taken with `SET key token NX PX lease`
(atomic: exactly one replica wins), renewed every lease/3 while the turn runs by a compare-and-PEXPIRE script, and
released by a compare-and-DEL script (a replica never frees a lock it no longer holds). A replica that dies stops
renewing, so its lock clears within one lease (default 6 s), not a minute. Waiters poll with a little jitter.

    lock_store:
      type: moments.locks.AtomicRedisLockStore
      url: ${REDIS_HOST}          # or redis://host:port/db
      port: ${REDIS_PORT}
      db: ${REDIS_LOCK_DB}         # default 1
      key_prefix: moments
      lease_seconds: 6             # LOCK_LEASE_SECONDS
      wait_seconds: 60             # LOCK_WAIT_SECONDS: how long a message waits for the conversation

Waiting is not strictly first-come-first-served (two messages that arrive together have no order anyway); a human
conversation never has enough traffic for a waiter to starve.
"""
from __future__ import annotations

import asyncio
import logging
import os
import random
import uuid
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Dict, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockError, LockStore

logger = logging.getLogger(__name__)

RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class AtomicRedisLockStore(LockStore):
    def __init__(self, endpoint_config: Any = None, *, url: Optional[str] = None, port: Any = 6379, db: Any = 1,
                 password: Optional[str] = None, key_prefix: str = "moments", lease_seconds: Any = None,
                 wait_seconds: Any = None, **_: Any) -> None:
        if endpoint_config is not None:
            kwargs: Dict[str, Any] = dict(endpoint_config.kwargs or {})
            url = endpoint_config.url or url
            port = kwargs.get("port", port)
            db = kwargs.get("db", db)
            password = kwargs.get("password", password)
            key_prefix = kwargs.get("key_prefix", key_prefix)
            lease_seconds = kwargs.get("lease_seconds", lease_seconds)
            wait_seconds = kwargs.get("wait_seconds", wait_seconds)
        url = str(url or "localhost")
        if "://" not in url:
            url = f"redis://{url}:{int(port or 6379)}/{int(db if db not in (None, '') else 1)}"
        self.url, self.password = url, password or None
        self.prefix = f"{key_prefix or 'moments'}:conversation-lock:"
        self.lease = float(lease_seconds or os.environ.get("LOCK_LEASE_SECONDS") or 6)
        self.wait = float(wait_seconds or os.environ.get("LOCK_WAIT_SECONDS") or 60)
        self._clients: Dict[int, Any] = {}
        super().__init__()

    def _redis(self):
        """One asyncio client per event loop (Rasa may build the store before Sanic's loop runs)."""
        import redis.asyncio as aioredis

        loop = id(asyncio.get_running_loop())
        if loop not in self._clients:
            self._clients[loop] = aioredis.from_url(self.url, password=self.password, socket_timeout=5)
        return self._clients[loop]

    @asynccontextmanager
    async def lock(self, conversation_id: Text, lock_lifetime: float = 0,
                   wait_time_in_seconds: float = 0) -> AsyncGenerator[TicketLock, None]:
        red = self._redis()
        key, token = self.prefix + conversation_id, uuid.uuid4().hex
        lease_ms = int(self.lease * 1000)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait
        delay = 0.01
        try:
            while not await red.set(key, token, nx=True, px=lease_ms):
                if loop.time() > deadline:
                    raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}' "
                                    f"within {self.wait:.0f} s.")
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 1.5, 0.2)
        except LockError:
            raise
        except Exception as exc:  # Redis down: say so as Rasa's lock error, not a stack trace in the channel
            raise LockError(f"lock store unavailable: {exc.__class__.__name__}") from exc
        renewer = asyncio.ensure_future(self._renew(red, key, token, lease_ms))
        try:
            yield TicketLock(conversation_id)
        finally:
            renewer.cancel()
            try:
                await red.eval(RELEASE, 1, key, token)
            except Exception:  # noqa: BLE001 - the lease expires by itself
                logger.warning("could not release the lock of a conversation; it expires in %.0f s", self.lease)

    async def _renew(self, red: Any, key: str, token: str, lease_ms: int) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                if not await red.eval(RENEW, 1, key, token, lease_ms):
                    logger.error("a turn outlived its conversation lock (lease %.0f s): another replica may run "
                                 "the same conversation", self.lease)
                    return
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - retried at the next tick
                logger.warning("could not renew a conversation lock")

    # The ticket API of Rasa's LockStore is not used: lock() above is the whole protocol.
    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        return None

    def delete_lock(self, conversation_id: Text) -> None:
        return None

    def save_lock(self, lock: TicketLock) -> None:
        return None
