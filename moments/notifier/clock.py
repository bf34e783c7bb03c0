"""The notifier's clock: Singapore time, movable so that a newcomer (and a test) can see tomorrow's reminders today.

`StoreClock` is the real time plus an offset kept in the notifier's database, so every replica sees the same
moved clock; `python -m moments.notifier clock --advance 28d` (`make notifier-clock ADVANCE=28d`) moves it,
`--reset` puts it back. `FrozenClock` stands still until a test moves it (unit tests: advance days, cross quiet hours).
"""
from __future__ import annotations

import re
import time as _time
from datetime import datetime, time, timedelta, timezone
from typing import Optional, Protocol

SGT = timezone(timedelta(hours=8), "SGT")


class Clock(Protocol):
    def now(self) -> datetime: ...  # aware, SGT


class StoreClock:
    """Real time + the offset in the store, read at most every `refresh` seconds."""

    def __init__(self, store, refresh: float = 5.0):
        self.store, self.refresh = store, refresh
        self._offset, self._read_at = 0.0, -1e9

    def offset(self) -> float:
        if _time.monotonic() - self._read_at > self.refresh:
            self._offset, self._read_at = self.store.clock_offset(), _time.monotonic()
        return self._offset

    def now(self) -> datetime:
        return datetime.now(SGT) + timedelta(seconds=self.offset())


class FrozenClock:
    def __init__(self, start: datetime):
        self._now = start if start.tzinfo else start.replace(tzinfo=SGT)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta) -> "FrozenClock":
        self._now += timedelta(**delta)
        return self

    def set(self, moment: datetime) -> "FrozenClock":
        self._now = moment if moment.tzinfo else moment.replace(tzinfo=SGT)
        return self


def naive_sgt(moment: datetime) -> datetime:
    return moment.astimezone(SGT).replace(tzinfo=None, microsecond=0)


def parse_duration(text: str) -> timedelta:
    """'28d', '12h', '30m', '1d12h', '-1d' -> a timedelta."""
    m = re.fullmatch(r"\s*(-)?((?:\d+[dhm])+)\s*", text or "")
    if not m:
        raise ValueError(f"not a duration: {text!r} (e.g. 28d, 12h, 1d12h, -1d)")
    total = timedelta()
    for n, unit in re.findall(r"(\d+)([dhm])", m.group(2)):
        total += timedelta(**{{"d": "days", "h": "hours", "m": "minutes"}[unit]: int(n)})
    return -total if m.group(1) else total


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """'21:00-09:00' -> (21:00, 09:00); 'off' -> (00:00, 00:00): never quiet."""
    if (text or "").strip().lower() in ("off", "none", ""):
        return time(0), time(0)
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    if not m:
        raise ValueError(f"quiet hours look like 21:00-09:00, not {text!r}")
    a, b, c, d = (int(x) for x in m.groups())
    return time(a, b), time(c, d)


def is_quiet(moment: datetime, quiet: tuple[time, time]) -> bool:
    start, end = quiet
    now = moment.astimezone(SGT).time()
    if start == end:
        return False
    return start <= now or now < end if start > end else start <= now < end


def next_loud(moment: datetime, quiet: tuple[time, time]) -> Optional[datetime]:
    """When the quiet hours that `moment` is in end (None if it is not in them)."""
    if not is_quiet(moment, quiet):
        return None
    local = moment.astimezone(SGT)
    end = local.replace(hour=quiet[1].hour, minute=quiet[1].minute, second=0, microsecond=0)
    return end if end > local else end + timedelta(days=1)
