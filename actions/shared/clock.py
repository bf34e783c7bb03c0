"""Singapore time for the actions. Call it through the module (`clock.today()`), so a test can freeze it in one
place (tests/unit/conftest.py `frozen_clock`)."""
from __future__ import annotations

from datetime import date, datetime

from moments.text.formatting import SGT


def now() -> datetime:
    """The current Singapore time, naive (as agency datetimes are compared after `to_sgt`)."""
    return datetime.now(SGT).replace(tzinfo=None)


def today() -> date:
    return now().date()
