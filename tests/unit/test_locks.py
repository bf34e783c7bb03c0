"""moments.locks.AtomicRedisLockStore against a real Redis: one holder at a time across stores (as across replicas),
and a holder that died frees the conversation within one lease."""
from __future__ import annotations

import asyncio
import socket
import uuid

import pytest

from moments.locks import AtomicRedisLockStore

pytestmark = pytest.mark.redis


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def stores():
    if not redis_up():
        pytest.skip("Redis not reachable at 127.0.0.1:6379 - lock store tests skipped")
    prefix = f"t{uuid.uuid4().hex[:8]}"
    return [AtomicRedisLockStore(url="redis://127.0.0.1:6379/5", key_prefix=prefix, lease_seconds=0.6,
                                 wait_seconds=10) for _ in range(2)]


def test_two_stores_never_hold_one_conversation_at_once(stores):
    inside, most, order = [0], [0], []

    async def turn(store, n):
        async with store.lock("c1"):
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            order.append(n)
            await asyncio.sleep(0.02)
            inside[0] -= 1

    async def main():
        await asyncio.gather(*(turn(stores[i % 2], i) for i in range(30)))

    asyncio.run(main())
    assert most[0] == 1
    assert sorted(order) == list(range(30))


def test_a_turn_longer_than_the_lease_keeps_its_lock(stores):
    """The lease is renewed while the turn runs: a second replica waits for the whole turn."""
    events = []

    async def long_turn():
        async with stores[0].lock("c2"):
            events.append("a-in")
            await asyncio.sleep(1.5)  # 2.5 leases
            events.append("a-out")

    async def other():
        await asyncio.sleep(0.1)
        async with stores[1].lock("c2"):
            events.append("b-in")

    async def main():
        await asyncio.gather(long_turn(), other())

    asyncio.run(main())
    assert events == ["a-in", "a-out", "b-in"]


def test_a_dead_holders_lock_clears_within_one_lease(stores):
    import redis

    red = redis.Redis.from_url("redis://127.0.0.1:6379/5")
    red.set(stores[0].prefix + "c3", "a replica that died", px=600)  # taken, and nobody renews it

    async def main():
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        async with stores[1].lock("c3"):
            return loop.time() - t0

    waited = asyncio.run(main())
    assert 0.3 < waited < 1.5
