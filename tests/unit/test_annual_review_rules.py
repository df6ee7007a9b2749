"""The annual review's rules (Regs 18-22), pure: the order of its steps, the limits each sets
and meets, who must be invited, the next review 12 months from the meeting, and when a limit
is warned at risk or missed."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest
from referrals.live.annual_review import (
    AnnualReview,
    ReviewDeadline,
    Stage,
    arrange_meeting,
    decide,
    hold_meeting,
    next_review_due,
    send_invitations,
    send_report,
)
from referrals.statutory import InvalidStep, OutOfOrder, warning_due

from shared.events import AnnualReviewDecided, AnnualReviewMeetingArranged, Invitee

TODAY = date(2027, 3, 1)
EVERYONE: list[Invitee] = ["family", "school", "health", "social_care"]


def opened() -> AnnualReview:
    return AnnualReview(uuid4(), uuid4(), "E08000035", date(2027, 4, 30), Stage.OPENED)


def test_the_meeting_sets_the_invitations_limit_two_weeks_before_it() -> None:
    taken = arrange_meeting(opened(), date(2027, 4, 20), TODAY)
    assert taken.sets == {ReviewDeadline.INVITATIONS: date(2027, 4, 6)}
    assert isinstance(taken.event, AnnualReviewMeetingArranged)
    assert taken.event.invite_by == date(2027, 4, 6)
    with pytest.raises(InvalidStep) as past:
        arrange_meeting(opened(), TODAY - timedelta(days=1), TODAY)
    assert past.value.field == "meeting_on"


def test_invitations_go_to_everyone_the_law_names() -> None:
    arranged = arrange_meeting(opened(), date(2027, 4, 20), TODAY).review
    with pytest.raises(InvalidStep) as short:
        send_invitations(arranged, TODAY, ["family", "school"], TODAY)
    assert short.value.field == "invitees"
    assert "health" in str(short.value)
    taken = send_invitations(arranged, TODAY, EVERYONE, TODAY)
    assert taken.meets == {ReviewDeadline.INVITATIONS: TODAY}


def test_the_meeting_sets_the_report_and_decision_limits_and_meets_its_own() -> None:
    arranged = arrange_meeting(opened(), TODAY, TODAY).review
    invited = send_invitations(arranged, TODAY, EVERYONE, TODAY).review
    held = hold_meeting(invited, TODAY, TODAY)
    assert held.sets == {
        ReviewDeadline.REPORT: TODAY + timedelta(days=14),
        ReviewDeadline.DECISION: TODAY + timedelta(days=28),
    }
    assert held.meets == {ReviewDeadline.MEETING: TODAY}
    reported = send_report(held.review, TODAY, TODAY)
    assert reported.meets == {ReviewDeadline.REPORT: TODAY}
    kept = decide(reported.review, "keep", TODAY, TODAY)
    assert isinstance(kept.event, AnnualReviewDecided)
    assert kept.event.next_review_due == date(2028, 3, 1)
    assert kept.event.appeal_by == date(2027, 5, 1)  # not to amend: it can be appealed
    assert kept.meets == {ReviewDeadline.DECISION: TODAY}
    ceased = decide(reported.review, "cease", TODAY, TODAY)
    assert isinstance(ceased.event, AnnualReviewDecided)
    assert ceased.event.next_review_due is None


def test_steps_out_of_order_or_in_the_future_are_refused() -> None:
    with pytest.raises(OutOfOrder):
        hold_meeting(opened(), TODAY, TODAY)
    with pytest.raises(OutOfOrder):
        decide(opened(), "keep", TODAY, TODAY)
    arranged = arrange_meeting(opened(), TODAY, TODAY).review
    invited = send_invitations(arranged, TODAY, EVERYONE, TODAY).review
    with pytest.raises(InvalidStep) as future:
        hold_meeting(invited, TODAY + timedelta(days=1), TODAY)
    assert future.value.field == "held_on"


def test_a_leap_day_review_is_next_due_on_the_last_day_of_february() -> None:
    assert next_review_due(date(2028, 2, 29)) == date(2029, 2, 28)


def test_a_limit_is_at_risk_once_then_missed_once() -> None:
    due = date(2027, 4, 20)
    kw = {"at_risk_sent": False, "missed_sent": False}
    assert warning_due(due, due - timedelta(days=11), 10, **kw) is None
    assert warning_due(due, due - timedelta(days=10), 10, **kw) == "at_risk"
    assert warning_due(due, due, 10, at_risk_sent=True, missed_sent=False) is None
    assert warning_due(due, due + timedelta(days=1), 10, at_risk_sent=True, missed_sent=False) == (
        "missed"
    )
    assert (
        warning_due(due, due + timedelta(days=9), 10, at_risk_sent=True, missed_sent=True) is None
    )
