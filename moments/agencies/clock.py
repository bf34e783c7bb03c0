"""Singapore time. The service reasons in SGT (UTC+08:00, no daylight saving): a birth on 3 March is 3 March in
Singapore whatever the server's zone. Datetimes are stored naive, in SGT."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from moments.rules.calendar import add_months  # noqa: F401  (the agencies' schedules use it from here)

SGT = timezone(timedelta(hours=8), "SGT")


def now() -> datetime:
    """Current Singapore time, naive (the form stored in the database)."""
    return datetime.now(SGT).replace(tzinfo=None, microsecond=0)


def today() -> date:
    return datetime.now(SGT).date()


def aware(value: datetime) -> datetime:
    """A stored naive SGT datetime as an aware one (for JSON: '2026-11-02T08:42:00+08:00')."""
    return value.replace(tzinfo=SGT) if value.tzinfo is None else value.astimezone(SGT)

