"""The limiter's logic (moments/ratelimit.py): GCRA limits, lock-outs, configuration, client addresses — on the
in-process store with a fake clock, and on Redis shared by two limiter instances (marker `redis`)."""
from __future__ import annotations

import asyncio
import socket
import uuid

import pytest

from moments import ratelimit
from moments.ratelimit import Decision, Limiter, Lockout, MemoryStore, Rate


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(clock):
    return MemoryStore(clock)


# -- rates --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec,expected", [
    ("30/60s", Rate(30, 60)), ("5/15min", Rate(5, 900)), ("100/1h", Rate(100, 3600)), ("30", Rate(30, 60)),
    ("3/2.5s", Rate(3, 2.5)), ("10/min", Rate(10, 60)), (" 7 / 2s ".replace(" ", ""), Rate(7, 2)),
])
def test_rates_parse(spec, expected):
    assert Rate.parse(spec) == expected


@pytest.mark.parametrize("spec", ["0", "off", "", None, "none"])
def test_zero_or_off_means_no_limit(spec):
    assert Rate.parse(spec) is None


@pytest.mark.parametrize("spec", ["x", "5/fortnight", "5/-1s", "five/60s"])
def test_bad_rates_are_refused(spec):
    with pytest.raises(ValueError):
        Rate.parse(spec)


def test_a_bad_variable_stops_the_service_with_its_name():
    with pytest.raises(SystemExit, match="RATE_LIMIT_SENDER_MESSAGES"):
        ratelimit.limiter("sender", {"RATE_LIMIT_SENDER_MESSAGES": "lots"})


# -- the limiter (GCRA) -------------------------------------------------------------------------------------------

def test_a_burst_of_n_then_refused_with_the_exact_wait(store, clock):
    lim = Limiter("t", Rate(3, 3), store)
    got = [lim.check("alice") for _ in range(3)]
    assert all(got) and [d.remaining for d in got] == [2, 1, 0]
    refused = lim.check("alice")
    assert not refused.allowed and refused.retry_after == pytest.approx(1.0)
    assert refused.retry_after_header == "1"


def test_one_more_is_let_through_every_period_over_n(store, clock):
    lim = Limiter("t", Rate(3, 3), store)
    for _ in range(3):
        assert lim.check("a")
    clock.t += 0.5
    assert not lim.check("a")
    clock.t += 0.5  # one token back after 3 s / 3
    assert lim.check("a")
    assert not lim.check("a")
    clock.t += 3  # a full period: the whole burst again
    assert [bool(lim.check("a")) for _ in range(4)] == [True, True, True, False]


def test_refusals_do_not_extend_the_wait(store, clock):
    """A flooder who keeps knocking is let back in as soon as anyone else would be."""
    lim = Limiter("t", Rate(2, 2), store)
    lim.check("a"), lim.check("a")
    for _ in range(50):
        assert not lim.check("a")
    clock.t += 1.0
    assert lim.check("a")


def test_keys_are_independent(store):
    lim = Limiter("t", Rate(1, 60), store)
    assert lim.check("a") and lim.check("b")
    assert not lim.check("a")


def test_limits_with_different_names_do_not_share_counts(store):
    a, b = Limiter("one", Rate(1, 60), store), Limiter("two", Rate(1, 60), store)
    assert a.check("k") and b.check("k")


def test_first_refusal_is_said_once_per_period(store, clock):
    """SMS: one polite message while limited, not one per message."""
    lim = Limiter("t", Rate(1, 10), store)
    assert lim.check("+6591234567")
    firsts = [lim.check("+6591234567").first_refusal for _ in range(5)]
    assert firsts == [True, False, False, False, False]
    clock.t += 10
    assert lim.check("+6591234567")
    assert lim.check("+6591234567").first_refusal  # a new period, a new (single) notice


def test_no_rate_means_always_allowed(store):
    lim = Limiter("t", None, store)
    assert all(lim.check("a") for _ in range(1000))


def test_check_all_is_refused_when_any_key_is_over(store):
    lim = Limiter("t", Rate(2, 60), store)
    lim.check("sender:a"), lim.check("sender:a")
    d = lim.check_all(["sender:a", "address:1.2.3.4"])
    assert not d.allowed and d.retry_after > 0


def test_acheck_on_the_memory_store(store):
    lim = Limiter("t", Rate(1, 60), store)

    async def go():
        return [await lim.acheck("x"), await lim.acheck("x")]

    a, b = asyncio.run(go())
    assert a.allowed and not b.allowed


def test_keys_never_reach_the_store_in_clear(store):
    Limiter("t", Rate(5, 60), store).check("S9210102I")
    Lockout("l", Rate(5, 60), 60, store).fail("+6591234567")
    assert not any("S9210102I" in k or "91234567" in k for k in store._values)


def test_a_broken_store_lets_requests_through():
    class Broken:
        def gcra(self, *a):
            raise ConnectionError("down")

        def locked(self, *a):
            raise ConnectionError("down")

        def fail(self, *a):
            raise ConnectionError("down")

    assert Limiter("t", Rate(1, 60), Broken()).check("a").allowed
    assert Lockout("l", Rate(1, 60), 60, Broken()).check("a").allowed
    assert Lockout("l", Rate(1, 60), 60, Broken()).fail("a").allowed


def test_the_memory_store_stays_bounded(clock):
    store = MemoryStore(clock)
    store.MAX_KEYS = 100
    lim = Limiter("t", Rate(1, 60), store)
    for i in range(1000):
        lim.check(f"k{i}")
    assert len(store._values) <= 100


# -- the lock-out -------------------------------------------------------------------------------------------------

def test_n_failures_lock_the_key_and_the_lock_ends(store, clock):
    lock = Lockout("login", Rate(3, 60), lock_seconds=30, store=store)
    assert lock.check("S1").allowed
    assert lock.fail("S1").allowed and lock.fail("S1").allowed
    third = lock.fail("S1")
    assert not third.allowed and third.retry_after == pytest.approx(30)
    clock.t += 29
    d = lock.check("S1")
    assert not d.allowed and d.retry_after == pytest.approx(1)
    clock.t += 1.5
    assert lock.check("S1").allowed
    assert lock.fail("S1").allowed  # the count starts again after a lock


def test_failures_outside_the_window_are_forgotten(store, clock):
    lock = Lockout("login", Rate(3, 10), 30, store)
    lock.fail("a"), lock.fail("a")
    clock.t += 11
    lock.fail("a"), lock.fail("a")
    assert lock.check("a").allowed


def test_a_lock_on_any_key_refuses(store):
    lock = Lockout("login", Rate(1, 60), 30, store)
    lock.fail("address:1.2.3.4")
    assert not lock.check("nric:S1", "address:1.2.3.4").allowed
    assert lock.check("nric:S1", "address:5.6.7.8").allowed


def test_failing_while_locked_does_not_extend_the_lock(store, clock):
    lock = Lockout("login", Rate(1, 60), 30, store)
    lock.fail("a")
    clock.t += 20
    d = lock.fail("a")
    assert not d.allowed and d.retry_after == pytest.approx(10)


# -- configuration and addresses ----------------------------------------------------------------------------------

def test_defaults_are_on_and_stop_brute_force():
    env = {}
    assert ratelimit.rate_from_env("login_failures", env) == Rate(5, 900)
    assert ratelimit.login_lockout(env).lock_seconds == 900
    for name in ratelimit.LIMITS:
        assert ratelimit.rate_from_env(name, env) is not None, name


def test_limits_come_from_the_environment():
    env = {"RATE_LIMIT_SENDER_MESSAGES": "2/1s", "RATE_LIMIT_LOGIN_LOCKOUT": "3s", "RATE_LIMIT_API_REQUESTS": "off"}
    assert ratelimit.limiter("sender", env).rate == Rate(2, 1)
    assert ratelimit.limiter("api", env).rate is None
    assert ratelimit.login_lockout(env).lock_seconds == 3
    assert "sender=2/1s" in ratelimit.describe(env) and "api=off" in ratelimit.describe(env)


def test_describe_hides_a_redis_password():
    assert "hunter2" not in ratelimit.describe({"RATE_LIMIT_STORE_URL": "redis://:hunter2@r:6379/3"})


@pytest.mark.parametrize("peer,xff,proxies,expected", [
    ("1.2.3.4", None, "", "1.2.3.4"),
    ("1.2.3.4", "9.9.9.9", "", "1.2.3.4"),                      # nobody trusted: the header is ignored
    ("1.2.3.4", "9.9.9.9", "10.0.0.0/8", "1.2.3.4"),            # the peer is not a trusted proxy
    ("10.0.0.5", "9.9.9.9", "10.0.0.0/8", "9.9.9.9"),
    ("10.0.0.5", "6.6.6.6, 9.9.9.9, 10.0.0.7", "10.0.0.0/8", "9.9.9.9"),  # a forged left-most entry is ignored
    ("127.0.0.1", "::1", "127.0.0.1", "::1"),
])
def test_client_address(peer, xff, proxies, expected):
    assert ratelimit.client_address(peer, xff, ratelimit.trusted_proxies({"RATE_LIMIT_TRUSTED_PROXIES": proxies})) \
        == expected


def test_the_polite_text_exists_in_four_languages():
    assert set(ratelimit.SLOW_DOWN) == {"en", "zh", "ms", "ta"}
    assert ratelimit.slow_down_text("ta") != ratelimit.slow_down_text("en")
    assert ratelimit.slow_down_text(None) == ratelimit.slow_down_text("xx") == ratelimit.SLOW_DOWN["en"]


def test_decision_is_truthy_when_allowed():
    assert Decision(True) and not Decision(False, 2.2)
    assert Decision(False, 2.2).retry_after_header == "3"


# -- Redis: two instances (two replicas) share one count ----------------------------------------------------------

REDIS_URL = "redis://127.0.0.1:6379/14"


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_stores():
    if not _redis_up():
        pytest.skip("Redis not reachable at 127.0.0.1:6379 - Redis-backed limiter not tested")
    a, b = ratelimit.RedisStore(REDIS_URL), ratelimit.RedisStore(REDIS_URL)  # two replicas: two connections
    yield a, b
    a.clear()


@pytest.mark.redis
def test_two_redis_limiters_share_one_limit(redis_stores):
    a, b = redis_stores
    secret, key = b"shared", f"sender-{uuid.uuid4().hex}"
    one, two = Limiter("t", Rate(4, 60), a, secret), Limiter("t", Rate(4, 60), b, secret)
    got = [bool((one if i % 2 else two).check(key)) for i in range(6)]
    assert got == [True, True, True, True, False, False]
    refused = one.check(key)
    assert not refused.allowed and 0 < refused.retry_after <= 15.01
    firsts = [two.check(key).first_refusal for _ in range(3)]
    assert firsts == [False, False, False]  # the first refusal was already said (by the other replica)


@pytest.mark.redis
def test_redis_limit_recovers_after_its_interval(redis_stores):
    import time

    a, _ = redis_stores
    lim = Limiter("t", Rate(2, 0.4), a, b"s")
    key = uuid.uuid4().hex
    assert lim.check(key) and lim.check(key) and not lim.check(key)
    time.sleep(0.25)
    assert lim.check(key)


@pytest.mark.redis
def test_redis_acheck_shares_counts_with_check(redis_stores):
    a, b = redis_stores
    key = uuid.uuid4().hex
    sync, other = Limiter("t", Rate(2, 60), a, b"s"), Limiter("t", Rate(2, 60), b, b"s")

    async def go():
        return [bool(await other.acheck(key)) for _ in range(2)]

    assert sync.check(key)
    assert asyncio.run(go()) == [True, False]


@pytest.mark.redis
def test_redis_lockout_is_shared(redis_stores):
    a, b = redis_stores
    key = uuid.uuid4().hex
    one, two = Lockout("login", Rate(3, 60), 30, a, b"s"), Lockout("login", Rate(3, 60), 30, b, b"s")
    assert one.fail(key) and two.fail(key)
    third = one.fail(key)
    assert not third.allowed and third.retry_after == pytest.approx(30, abs=0.5)
    d = two.check(key)
    assert not d.allowed and 29 < d.retry_after <= 30


@pytest.mark.redis
def test_redis_from_the_environment(redis_stores):
    env = {"RATE_LIMIT_STORE_URL": REDIS_URL, "RATE_LIMIT_SENDER_MESSAGES": "1/60s", "RATE_LIMIT_KEY": "k"}
    key = uuid.uuid4().hex
    assert ratelimit.limiter("sender", env).check(key)
    assert not ratelimit.limiter("sender", env).check(key)
    assert isinstance(ratelimit.limiter("sender", env).store, ratelimit.RedisStore)


def test_redis_down_lets_requests_through():
    lim = Limiter("t", Rate(1, 60), ratelimit.RedisStore("redis://127.0.0.1:1/0", timeout=0.2))
    assert lim.check("a").allowed and lim.check("a").allowed


def test_channel_limits_count_sender_then_address():
    env = {"RATE_LIMIT_SENDER_MESSAGES": "2/60s", "RATE_LIMIT_ADDRESS_MESSAGES": "3/60s",
           "RATE_LIMIT_STORE_URL": "", "RATE_LIMIT_KEY": uuid.uuid4().hex}
    limits = ratelimit.ChannelLimits("unit", env)
    assert limits.check("a", "1.1.1.1") and limits.check("a", "1.1.1.1")
    assert not limits.check("a", "1.1.1.1")  # the sender's limit; the address was not counted
    assert limits.check("b", "1.1.1.1")
    refused = limits.check("c", "1.1.1.1")
    assert not refused.allowed and refused.first_refusal  # the address's limit
    assert limits.check("c", None)  # no address known: the sender's limit only
    assert asyncio.run(limits.acheck("d", "2.2.2.2")).allowed
