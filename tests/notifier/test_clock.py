"""The notifier's clock helpers: durations for `clock --advance`, quiet hours across midnight."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from moments.notifier.clock import SGT, FrozenClock, is_quiet, next_loud, parse_duration, parse_quiet_hours


def test_durations():
    assert parse_duration("28d") == timedelta(days=28)
    assert parse_duration("1d12h") == timedelta(days=1, hours=12)
    assert parse_duration("-90m") == -timedelta(minutes=90)
    with pytest.raises(ValueError):
        parse_duration("soon")


def test_quiet_hours_cross_midnight_in_singapore_time():
    quiet = parse_quiet_hours("21:00-09:00")
    clock = FrozenClock(datetime(2026, 12, 7, 20, 59, tzinfo=SGT))
    assert not is_quiet(clock.now(), quiet)
    assert is_quiet(clock.advance(minutes=1).now(), quiet)
    assert is_quiet(clock.advance(hours=5).now(), quiet)  # 02:00
    assert next_loud(clock.now(), quiet) == datetime(2026, 12, 8, 9, 0, tzinfo=SGT)
    assert not is_quiet(datetime(2026, 12, 8, 1, 0, tzinfo=SGT).astimezone(SGT) + timedelta(hours=8), quiet)
    assert is_quiet(datetime(2026, 12, 7, 14, 0).replace(tzinfo=None).replace(tzinfo=SGT) - timedelta(hours=14), quiet)
    assert parse_quiet_hours("off") == (time(0), time(0)) and not is_quiet(clock.now(), parse_quiet_hours("off"))
    with pytest.raises(ValueError):
        parse_quiet_hours("late")
