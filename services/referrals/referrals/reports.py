"""Timeliness as the DfE's SEN2 return counts it. Pure: the SQL is in ``caseload``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from referrals.statutory import Deadline, deadline_dates

WEEK_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-6", 0, 6),
    ("6-16", 6, 16),
    ("16-20", 16, 20),
    ("20-26", 20, 26),
    ("26-52", 26, 52),
    ("52+", 52, None),
)
"""Open requests by whole weeks since the request: the statutory points, then the 26 and 52
weeks the DfE reports long waits by."""


def within_20_weeks(requested_on: date, issued_on: date) -> bool:
    """SEN2's measure: the final plan on or before the 20-week date, exceptions not counted.

    The date is the statutory clock's own (``deadline_dates``), as in ``FinalPlanIssued``'s
    ``within_20_weeks``: one rule, so the report and the event never disagree.
    """
    statutory, _ = deadline_dates(requested_on)[Deadline.FINAL_PLAN]
    return issued_on <= statutory


def share(plans: Iterable[tuple[date, date]]) -> tuple[int, int, float | None]:
    """(within 20 weeks, plans, percent to one decimal place) of (requested, issued) pairs."""
    found = list(plans)
    within = sum(within_20_weeks(requested, issued) for requested, issued in found)
    percent = round(100 * within / len(found), 1) if found else None
    return within, len(found), percent


def by_weeks_elapsed(requested: Iterable[date], as_at: date) -> dict[str, int]:
    counts = dict.fromkeys((band for band, _, _ in WEEK_BANDS), 0)
    for day in requested:
        weeks = (as_at - day).days // 7
        for band, low, high in WEEK_BANDS:
            if weeks >= low and (high is None or weeks < high):
                counts[band] += 1
    return counts
