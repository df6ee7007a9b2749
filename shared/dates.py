"""The councils' calendar: today as a date in England, and months counted as the statutory
process counts them. Dates in the platform are the council's calendar days (a request at 00:30
BST is that day's, not UTC's previous day)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def london_today(now: datetime | None = None) -> date:
    """Today in the council's calendar (``now``: a moment to read instead of the clock)."""
    return (now or datetime.now(UTC)).astimezone(LONDON).date()


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
