"""Calendar arithmetic the rules share (payment schedules, immunisation due dates)."""
from __future__ import annotations

from datetime import date


def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the month's end: 31 Jan + 1 month = 28/29 Feb."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")
