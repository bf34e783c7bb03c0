"""Rate limits for every door a stranger can knock on: the channels (REST, SMS, socket.io), Rasa's HTTP API and the
mock Singpass login.

Two tools, both on a small store that is either this process's memory or Redis (shared by every replica):

- `Limiter` — "at most N per period" per key, as GCRA (the generic cell rate algorithm: a token bucket of N tokens
  refilled one every period/N, kept as one timestamp per key). A burst of N is let through, then one every
  period/N; a refusal says exactly when the next try can succeed (`Retry-After`), and whether it is the *first*
  refusal of this period (`Decision.first_refusal`: the SMS channel sends its polite message once, not once per
  message).
- `Lockout` — N failures per key within a period lock the key for a while (the Singpass login: per NRIC, per
  mobile and per client address); a locked key is refused even when the next try would have been right.

    from moments import ratelimit
    limiter = ratelimit.limiter("sender")          # the RATE_LIMIT_SENDER_MESSAGES limit, store from the env
    decision = limiter.check("sms:+6591234567")    # or: await limiter.acheck(...) on an event loop
    if not decision.allowed: ... decision.retry_after (seconds), decision.first_refusal

Configuration (environment; README "Rate limits"): `RATE_LIMIT_STORE_URL` (empty: in-process; `redis://host:6379/3`
shares counts across replicas) and one variable per limit, `N/<period>` (`30/60s`, `5/15min`, `100/1h`; a bare
number is per minute; `0` or `off` turns the limit off) — see `LIMITS`.

Keys are HMAC'd before they reach a store, so Redis never holds an NRIC, a phone number or an address in clear.
When Redis does not answer, a limit lets the request through and logs a warning (at most once a minute): the
assistant stays usable, and Redis being down also stops Rasa's lock store, which an operator notices.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import logging
import math
import os
import re
import secrets as _random
import threading
import time
from dataclasses import dataclass
from typing import Dict, Iterable, Mapping, Optional, Tuple

log = logging.getLogger("moments.ratelimit")

# name -> (environment variable, default, what it limits). The README's "Rate limits" table lists these.
LIMITS: Dict[str, Tuple[str, str, str]] = {
    "sender": ("RATE_LIMIT_SENDER_MESSAGES", "30/60s",
               "messages per conversation: REST `sender`, SMS phone number, socket.io session"),
    "address": ("RATE_LIMIT_ADDRESS_MESSAGES", "120/60s",
                "messages per client address, on each channel"),
    "api": ("RATE_LIMIT_API_REQUESTS", "600/60s",
            "requests per client address to Rasa's HTTP API (/model/parse, /conversations, …)"),
    "login_attempts": ("RATE_LIMIT_LOGIN_ATTEMPTS", "20/60s",
                       "mock Singpass login attempts per client address (callers without the agency X-API-Key)"),
    "login_failures": ("RATE_LIMIT_LOGIN_FAILURES", "5/900s",
                       "failed logins per NRIC, per mobile and per client address before a lock-out"),
}
LOCKOUT_VARIABLE, LOCKOUT_DEFAULT = "RATE_LIMIT_LOGIN_LOCKOUT", "900s"
STORE_VARIABLE = "RATE_LIMIT_STORE_URL"
PROXIES_VARIABLE = "RATE_LIMIT_TRUSTED_PROXIES"
KEY_PREFIX = "moments:rl:"

# The polite answer to a limited user, in the four languages (every channel uses this one table).
SLOW_DOWN: Dict[str, str] = {
    "en": "You are sending messages faster than I can answer. Please wait a minute, then try again.",
    "zh": "您发送消息的速度太快了，我来不及回答。请稍等一分钟再试。",
    "ms": "Anda menghantar mesej terlalu cepat untuk saya jawab. Sila tunggu seminit, kemudian cuba lagi.",
    "ta": "நீங்கள் மிக வேகமாக செய்திகள் அனுப்புகிறீர்கள். ஒரு நிமிடம் காத்திருந்து மீண்டும் முயற்சிக்கவும்.",
}


def slow_down_text(language: Optional[str]) -> str:
    return SLOW_DOWN.get(language or "", SLOW_DOWN["en"])


# -- rates and decisions ------------------------------------------------------------------------------------------

_UNITS = {"": 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)?\s*([a-z]*)\s*$")


def parse_duration(spec: str) -> float:
    """'900s', '15min', '1h', '2.5s', '60' (seconds), 'min' (one minute) -> seconds."""
    m = _DURATION.match(spec.lower())
    if not m or m.group(2) not in _UNITS or (m.group(1) is None and not m.group(2)):
        raise ValueError(f"not a duration: {spec!r} (e.g. 60s, 15min, 1h)")
    return float(m.group(1) or 1) * _UNITS[m.group(2)]


@dataclass(frozen=True)
class Rate:
    count: int
    period: float  # seconds

    @classmethod
    def parse(cls, spec: Optional[str]) -> Optional["Rate"]:
        """'30/60s', '5/15min', '30' (per minute); None for '0', 'off', 'none' (no limit)."""
        spec = (spec or "").strip().lower()
        if spec in ("", "0", "off", "none", "unlimited"):
            return None
        count, _, period = spec.partition("/")
        try:
            n = int(count)
        except ValueError:
            raise ValueError(f"not a rate: {spec!r} (e.g. 30/60s, 5/15min)") from None
        seconds = parse_duration(period) if period else 60.0
        if n <= 0:
            return None
        if seconds <= 0:
            raise ValueError(f"not a rate: {spec!r}: the period must be positive")
        return cls(n, seconds)

    def __str__(self) -> str:
        return f"{self.count}/{self.period:g}s"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0  # seconds until a try can succeed (0 when allowed)
    remaining: int = 0  # how many more would be allowed right now
    first_refusal: bool = False  # True on the first refusal for this key within the period

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def retry_after_header(self) -> str:
        """Whole seconds for the Retry-After header (at least 1)."""
        return str(max(1, math.ceil(self.retry_after)))


ALLOWED = Decision(True, 0.0, 1 << 30)


# -- stores -------------------------------------------------------------------------------------------------------

class MemoryStore:
    """This process's memory (thread-safe). Times are monotonic milliseconds; `clock` can be replaced in tests."""

    MAX_KEYS = 100_000

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._values: Dict[str, Tuple[float, float]] = {}  # key -> (value, expires at, ms)

    def _now(self) -> float:
        return self._clock() * 1000.0

    def _get(self, key: str, now: float) -> Optional[float]:
        item = self._values.get(key)
        if item is None:
            return None
        if item[1] <= now:
            del self._values[key]
            return None
        return item[0]

    def _set(self, key: str, value: float, now: float, ttl_ms: float) -> None:
        if len(self._values) >= self.MAX_KEYS:
            self._values = {k: v for k, v in self._values.items() if v[1] > now}
            if len(self._values) >= self.MAX_KEYS:  # still full of live keys: drop the oldest half
                for k in list(self._values)[: self.MAX_KEYS // 2]:
                    del self._values[k]
        self._values[key] = (value, now + max(ttl_ms, 1.0))

    def gcra(self, key: str, interval_ms: float, period_ms: float) -> Tuple[bool, float, int, bool]:
        with self._lock:
            now = self._now()
            tat = max(self._get(key, now) or now, now)
            new = tat + interval_ms
            if new - now <= period_ms + 1e-6:
                self._set(key, new, now, new - now)
                return True, 0.0, int((period_ms - (new - now)) // interval_ms), False
            first = self._get(key + ":n", now) is None
            if first:
                self._set(key + ":n", 1, now, period_ms)
            return False, new - now - period_ms, 0, first

    def locked(self, key: str) -> float:
        with self._lock:
            now = self._now()
            return max(0.0, self._values[key + ":lock"][1] - now) if self._get(key + ":lock", now) else 0.0

    def fail(self, key: str, window_ms: float, limit: int, lock_ms: float) -> Tuple[int, float]:
        with self._lock:
            now = self._now()
            if self._get(key + ":lock", now):
                return limit, self._values[key + ":lock"][1] - now
            n = (self._get(key + ":f", now) or 0) + 1
            if n >= limit:
                self._values.pop(key + ":f", None)
                self._set(key + ":lock", 1, now, lock_ms)
                return n, lock_ms
            expires = self._values.get(key + ":f", (0, now + window_ms))[1]
            self._set(key + ":f", n, now, expires - now)
            return n, 0.0

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


# Redis: each operation is one Lua script, so concurrent replicas never race; time is Redis's own (TIME), so
# replicas with skewed clocks agree.
_GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval, period = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new = tat + interval
if new - now <= period + 0.000001 then
  redis.call('SET', KEYS[1], string.format('%.3f', new), 'PX', math.max(1, math.ceil(new - now)))
  return {1, '0', math.floor((period - (new - now)) / interval), 0}
end
local first = 0
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', math.max(1, math.ceil(period))) then first = 1 end
return {0, string.format('%.3f', new - now - period), 0, first}
"""
_FAIL_LUA = """
local ttl = redis.call('PTTL', KEYS[2])
if ttl > 0 then return {tonumber(ARGV[2]), ttl} end
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if n >= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return {n, tonumber(ARGV[3])}
end
return {n, 0}
"""


class RedisStore:
    """Redis (redis-py 4.6): a sync client for threads (the agency service), an asyncio one for Sanic (Rasa)."""

    def __init__(self, url: str, timeout: float = 0.5):
        import redis
        import redis.asyncio as aredis

        self.url = url
        self._sync = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self._async_url, self._timeout = url, timeout
        self._async: Dict[int, "aredis.Redis"] = {}  # one client per event loop
        self._sync_scripts = (self._sync.register_script(_GCRA_LUA), self._sync.register_script(_FAIL_LUA))

    def _async_scripts(self):
        import redis.asyncio as aredis

        loop = id(asyncio.get_running_loop())
        client = self._async.get(loop)
        if client is None:
            client = aredis.Redis.from_url(self._async_url, socket_timeout=self._timeout,
                                           socket_connect_timeout=self._timeout)
            self._async[loop] = client
        return client, client.register_script(_GCRA_LUA), client.register_script(_FAIL_LUA)

    @staticmethod
    def _gcra_result(r) -> Tuple[bool, float, int, bool]:
        return bool(int(r[0])), float(r[1]), int(r[2]), bool(int(r[3]))

    def gcra(self, key: str, interval_ms: float, period_ms: float) -> Tuple[bool, float, int, bool]:
        return self._gcra_result(self._sync_scripts[0](keys=[key, key + ":n"], args=[interval_ms, period_ms]))

    async def agcra(self, key: str, interval_ms: float, period_ms: float) -> Tuple[bool, float, int, bool]:
        _, script, _ = self._async_scripts()
        return self._gcra_result(await script(keys=[key, key + ":n"], args=[interval_ms, period_ms]))

    def locked(self, key: str) -> float:
        return max(0.0, float(self._sync.pttl(key + ":lock")))

    def fail(self, key: str, window_ms: float, limit: int, lock_ms: float) -> Tuple[int, float]:
        r = self._sync_scripts[1](keys=[key + ":f", key + ":lock"],
                                  args=[int(math.ceil(window_ms)), limit, int(math.ceil(lock_ms))])
        return int(r[0]), float(r[1])

    def clear(self, pattern: str = KEY_PREFIX + "*") -> None:
        for k in self._sync.scan_iter(pattern):
            self._sync.delete(k)


_stores: Dict[str, object] = {}
_stores_lock = threading.Lock()


def store_from_url(url: Optional[str]):
    """The process-wide store for `url` ('' or 'memory': in-process; 'redis://…': Redis)."""
    url = (url or "").strip()
    key = url or "memory"
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            if key == "memory":
                store = MemoryStore()
            elif url.startswith(("redis://", "rediss://", "unix://")):
                store = RedisStore(url)
            else:
                raise ValueError(f"{STORE_VARIABLE}: expected empty or redis://host:port/db, got {url!r}")
            _stores[key] = store
    return store


# -- keys ---------------------------------------------------------------------------------------------------------

def _key_secret(env: Mapping[str, str]) -> bytes:
    """What keys are HMAC'd with: RATE_LIMIT_KEY, else one of this installation's secrets (the same in every replica
    of a service), else a random per-process value (fine for the memory store)."""
    for name in ("RATE_LIMIT_KEY", "AGENCIES_TOKEN_SECRET", "RASA_AUTH_TOKEN", "CHANNEL_IDENTITY_KEY"):
        if env.get(name):
            return env[name].encode()
    return _PROCESS_SECRET


_PROCESS_SECRET = _random.token_bytes(32)


def _store_key(secret: bytes, name: str, key: str) -> str:
    digest = hmac.new(secret, key.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]
    return f"{KEY_PREFIX}{name}:{digest}"


class _Warned:
    last = 0.0


def _store_down(exc: Exception) -> None:
    now = time.monotonic()
    if now - _Warned.last > 60:
        _Warned.last = now
        log.warning("rate limit store not answering (%s: %s): letting requests through", exc.__class__.__name__, exc)


# -- limiter and lock-out -----------------------------------------------------------------------------------------

class Limiter:
    """At most `rate.count` per `rate.period` seconds per key (GCRA). `rate=None`: no limit."""

    def __init__(self, name: str, rate: Optional[Rate], store=None, secret: Optional[bytes] = None):
        self.name = name
        self.rate = rate
        self.store = store if store is not None else MemoryStore()
        self._secret = secret if secret is not None else _PROCESS_SECRET

    def _args(self, key: str) -> Tuple[str, float, float]:
        period_ms = self.rate.period * 1000.0
        return _store_key(self._secret, self.name, key), period_ms / self.rate.count, period_ms

    @staticmethod
    def _decision(r: Tuple[bool, float, int, bool]) -> Decision:
        allowed, retry_ms, remaining, first = r
        return Decision(allowed, retry_ms / 1000.0, remaining, first)

    def check(self, key: str) -> Decision:
        """Counts one request for `key` and says whether it may go ahead."""
        if self.rate is None:
            return ALLOWED
        try:
            return self._decision(self.store.gcra(*self._args(key)))
        except Exception as exc:  # noqa: BLE001 - a store outage must not stop the assistant
            _store_down(exc)
            return ALLOWED

    async def acheck(self, key: str) -> Decision:
        """`check` for an event loop (Redis is asked without blocking the loop)."""
        if self.rate is None:
            return ALLOWED
        try:
            if hasattr(self.store, "agcra"):
                return self._decision(await self.store.agcra(*self._args(key)))
            return self._decision(self.store.gcra(*self._args(key)))
        except Exception as exc:  # noqa: BLE001
            _store_down(exc)
            return ALLOWED

    def check_all(self, keys: Iterable[str]) -> Decision:
        """Counts one request for each key; refused if any key is over its limit (the longest wait wins)."""
        return _worst([self.check(k) for k in keys])


def _worst(decisions) -> Decision:
    refused = [d for d in decisions if not d.allowed]
    if not refused:
        return min(decisions, key=lambda d: d.remaining, default=ALLOWED)
    worst = max(refused, key=lambda d: d.retry_after)
    return Decision(False, worst.retry_after, 0, any(d.first_refusal for d in refused))


class Lockout:
    """`failures.count` failures of a key within `failures.period` seconds lock it for `lock_seconds`."""

    def __init__(self, name: str, failures: Optional[Rate], lock_seconds: float, store=None,
                 secret: Optional[bytes] = None):
        self.name = name
        self.failures = failures
        self.lock_seconds = lock_seconds
        self.store = store if store is not None else MemoryStore()
        self._secret = secret if secret is not None else _PROCESS_SECRET

    def _key(self, key: str) -> str:
        return _store_key(self._secret, self.name, key)

    def check(self, *keys: str) -> Decision:
        """Refused while any of the keys is locked (retry_after: the longest remaining lock)."""
        if self.failures is None:
            return ALLOWED
        try:
            wait_ms = max((self.store.locked(self._key(k)) for k in keys), default=0.0)
        except Exception as exc:  # noqa: BLE001
            _store_down(exc)
            return ALLOWED
        return Decision(False, wait_ms / 1000.0) if wait_ms > 0 else ALLOWED

    def fail(self, *keys: str) -> Decision:
        """Records one failure for each key; refused when that locked one of them."""
        if self.failures is None:
            return ALLOWED
        decisions = []
        for k in keys:
            try:
                n, lock_ms = self.store.fail(self._key(k), self.failures.period * 1000.0, self.failures.count,
                                             self.lock_seconds * 1000.0)
            except Exception as exc:  # noqa: BLE001
                _store_down(exc)
                continue
            decisions.append(Decision(False, lock_ms / 1000.0, 0, True) if lock_ms > 0
                             else Decision(True, 0.0, max(0, self.failures.count - n)))
        return _worst(decisions)


# -- configuration from the environment ---------------------------------------------------------------------------

def rate_from_env(name: str, env: Optional[Mapping[str, str]] = None) -> Optional[Rate]:
    env = os.environ if env is None else env
    variable, default, _ = LIMITS[name]
    value = env.get(variable)
    try:
        return Rate.parse(default if value is None else value)
    except ValueError as exc:
        raise SystemExit(f"{variable}: {exc}") from None


def limiter(name: str, env: Optional[Mapping[str, str]] = None, store=None) -> Limiter:
    """The limit `name` (a key of LIMITS) as configured in the environment, on the configured store (or `store`)."""
    env = os.environ if env is None else env
    store = store if store is not None else store_from_url(env.get(STORE_VARIABLE))
    return Limiter(name, rate_from_env(name, env), store, _key_secret(env))


def login_lockout(env: Optional[Mapping[str, str]] = None) -> Lockout:
    env = os.environ if env is None else env
    try:
        lock = parse_duration(env.get(LOCKOUT_VARIABLE) or LOCKOUT_DEFAULT)
    except ValueError as exc:
        raise SystemExit(f"{LOCKOUT_VARIABLE}: {exc}") from None
    return Lockout("login_failures", rate_from_env("login_failures", env), lock,
                   store_from_url(env.get(STORE_VARIABLE)), _key_secret(env))


class ChannelLimits:
    """A channel's two limits: per sender (RATE_LIMIT_SENDER_MESSAGES) and per client address
    (RATE_LIMIT_ADDRESS_MESSAGES), counted under the channel's name.

        limits = ChannelLimits("sms")
        decision = await limits.acheck(sender="+6591234567", address=None)   # or .check(...) in a thread
        if not decision.allowed: ... slow_down_text(language), decision.retry_after_header, decision.first_refusal
    """

    def __init__(self, channel: str, env: Optional[Mapping[str, str]] = None):
        env = os.environ if env is None else env
        # In-process counts are the channel object's own (one per Rasa process, as the channel is; a test's fresh
        # channel starts from zero); with RATE_LIMIT_STORE_URL every replica shares them.
        store = None if (env.get(STORE_VARIABLE) or "").strip() else MemoryStore()
        self.channel = channel
        self.per_sender = limiter("sender", env, store)
        self.per_address = limiter("address", env, store)
        self.proxies = trusted_proxies(env)

    def address(self, peer: Optional[str], forwarded_for: Optional[str] = None) -> str:
        return client_address(peer, forwarded_for, self.proxies)

    async def acheck(self, sender: Optional[str], address: Optional[str] = None) -> Decision:
        """The sender's limit first; the address's only for messages the sender's limit let through."""
        decision = await self.per_sender.acheck(f"{self.channel}:{sender or 'default'}")
        if decision.allowed and address:
            decision = await self.per_address.acheck(f"{self.channel}:{address}")
        return decision

    def check(self, sender: Optional[str], address: Optional[str] = None) -> Decision:
        decision = self.per_sender.check(f"{self.channel}:{sender or 'default'}")
        if decision.allowed and address:
            decision = self.per_address.check(f"{self.channel}:{address}")
        return decision


def trusted_proxies(env: Optional[Mapping[str, str]] = None) -> Tuple:
    env = os.environ if env is None else env
    nets = []
    for item in (env.get(PROXIES_VARIABLE) or "").split(","):
        if item.strip():
            try:
                nets.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise SystemExit(f"{PROXIES_VARIABLE}: not an address or network: {item.strip()!r}") from None
    return tuple(nets)


def _in(address: str, nets: Tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in nets)


def client_address(peer: Optional[str], forwarded_for: Optional[str], proxies: Tuple) -> str:
    """The client's address: the TCP peer, or — when the peer is a trusted reverse proxy (RATE_LIMIT_TRUSTED_PROXIES)
    — the right-most X-Forwarded-For entry that is not a trusted proxy. Nobody else can choose their address."""
    peer = (peer or "").strip() or "unknown"
    if not forwarded_for or not proxies or not _in(peer, proxies):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in(hop, proxies):
            return hop
    return hops[0] if hops else peer


def describe(env: Optional[Mapping[str, str]] = None) -> str:
    """One line for a start-up log: which limits are on and where they are counted."""
    env = os.environ if env is None else env
    parts = [f"{name}={rate_from_env(name, env) or 'off'}" for name in LIMITS]
    where = env.get(STORE_VARIABLE) or "memory"
    where = re.sub(r"//[^@/]*@", "//***@", where)  # no password in logs
    return f"rate limits ({where}): " + ", ".join(parts)
