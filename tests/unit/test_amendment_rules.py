"""Amending a plan after its review (Reg 22), pure: at least 15 days for comments, the amended
plan within 8 weeks of the proposals and 12 of the meeting, never before the comments end."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest
from referrals.live.amendment import Amendment, amended_plan_due, issue_amended_plan, propose
from referrals.statutory import InvalidStep, OutOfOrder

HELD = date(2027, 1, 11)
TODAY = date(2027, 4, 30)


def decided() -> Amendment:
    return Amendment(uuid4(), uuid4(), "E08000035", HELD)


def test_the_amended_plan_is_due_8_weeks_from_the_proposals_and_12_from_the_meeting() -> None:
    assert amended_plan_due(HELD, None) == HELD + timedelta(weeks=12)
    assert amended_plan_due(HELD, HELD + timedelta(weeks=2)) == HELD + timedelta(weeks=10)
    late_proposals = HELD + timedelta(weeks=6)
    assert amended_plan_due(HELD, late_proposals) == HELD + timedelta(weeks=12)


def test_proposals_leave_at_least_15_days_for_comments() -> None:
    sent = HELD + timedelta(weeks=2)
    proposed, event = propose(decided(), sent, None, TODAY)
    assert event.comments_until == sent + timedelta(days=15)
    assert proposed.comments_until == event.comments_until
    with pytest.raises(InvalidStep) as short:
        propose(decided(), sent, sent + timedelta(days=14), TODAY)
    assert short.value.field == "comments_until"
    with pytest.raises(OutOfOrder):
        propose(proposed, sent, None, TODAY)


def test_the_amended_plan_waits_for_the_comments_and_says_when_it_is_late() -> None:
    with pytest.raises(OutOfOrder):
        issue_amended_plan(decided(), TODAY, TODAY)
    sent = HELD + timedelta(weeks=2)
    proposed, _ = propose(decided(), sent, None, TODAY)
    with pytest.raises(InvalidStep) as early:
        issue_amended_plan(proposed, sent + timedelta(days=14), TODAY)
    assert early.value.field == "issued_on"
    on_time = issue_amended_plan(proposed, sent + timedelta(weeks=8), TODAY)
    assert (on_time.late, on_time.appeal_by) == (False, date(2027, 5, 22))
    late = issue_amended_plan(proposed, sent + timedelta(weeks=8, days=1), TODAY)
    assert late.late
