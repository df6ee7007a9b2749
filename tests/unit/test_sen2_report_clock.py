"""The SEN2 report's 20-week date is the statutory clock's (``referrals.statutory``), not a
copy of it: the report and the ``FinalPlanIssued`` event count a plan the same way."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from uuid import uuid4

import pytest
from referrals import reports, statutory
from referrals.statutory import Deadline, EhcRequest, StatutoryException, deadline_dates

from shared.events import Sen2Need

REQUESTED = date(2026, 1, 5)
TODAY = date(2026, 12, 31)


def _with_draft() -> EhcRequest:
    request = EhcRequest(
        referral_id=uuid4(),
        local_authority="E08000035",
        requested_on=REQUESTED,
        requested_by="parent",
        escalated=False,
    )
    request, _ = request.decide_assessment("assess", date(2026, 2, 10), None, TODAY)
    request, _ = request.decide_plan(
        "issue",
        date(2026, 4, 1),
        None,
        ["parent", "educational", "educational_psychology", "medical", "social_care"],
        (Sen2Need.SLCN,),
        TODAY,
    )
    request, _ = request.issue_draft(date(2026, 4, 10), None, TODAY)
    return request


def test_the_report_counts_a_plan_within_20_weeks_exactly_when_its_event_says_so() -> None:
    draft = _with_draft()
    twenty_weeks, _ = deadline_dates(REQUESTED)[Deadline.FINAL_PLAN]
    for issued_on in (twenty_weeks + timedelta(days) for days in range(-3, 4)):
        _, event = draft.issue_final(issued_on, TODAY)
        assert reports.within_20_weeks(REQUESTED, issued_on) is event.within_20_weeks, issued_on
    assert reports.share([(REQUESTED, twenty_weeks), (REQUESTED, twenty_weeks + timedelta(1))]) == (
        1,
        2,
        50.0,
    )


def test_a_change_to_the_statutory_clock_reaches_the_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Were the clock to skip weekends, say, the report would follow with no edit of its own."""
    calendar_days = statutory.count_days

    def weekdays(start: date, days: int, exceptions: Iterable[StatutoryException] = ()) -> date:
        day = start
        while days:
            day = calendar_days(day, 1, exceptions)
            days -= day.weekday() < 5
        return day

    monkeypatch.setattr(statutory, "count_days", weekdays)
    twenty_weeks, _ = statutory.deadline_dates(REQUESTED)[Deadline.FINAL_PLAN]
    assert twenty_weeks > REQUESTED + timedelta(140)
    assert reports.within_20_weeks(REQUESTED, twenty_weeks)
    assert not reports.within_20_weeks(REQUESTED, twenty_weeks + timedelta(1))
