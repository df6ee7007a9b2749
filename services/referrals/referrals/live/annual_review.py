"""The annual review of an EHC plan (SEND Regulations 2014, Regs 18-22). Pure: each step
checks the review's state and returns the review as it now stands, the deadlines it sets or
meets, and its event.

Every plan is reviewed within 12 months of its issue or its last review (Reg 20). The council
arranges the meeting; invites the family, the school, health and social care, asking for
their advice and information, at least 2 weeks before it (Reg 20(3)-(4)); sends the meeting's
report within 2 weeks of it (Reg 20(7)); and decides whether to keep the plan as it is, amend
it, or cease it within 4 weeks of the meeting (Reg 20(10)). Each limit is a deadline: at risk
and missed warnings come from the scheduler (``referrals.live.review_watch``).

(Longer than most modules: every step of the one regulation's review, with its limits, read
and tested together, as the EHC clock's are in ``referrals.statutory``.)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, timedelta
from uuid import UUID

from referrals.statutory import InvalidStep, OutOfOrder
from shared.dates import add_months
from shared.events import (
    AnnualReviewDecided,
    AnnualReviewInvitationsSent,
    AnnualReviewMeetingArranged,
    AnnualReviewMeetingHeld,
    AnnualReviewReportSent,
    Invitee,
    ReviewDecision,
)

REVIEW_MONTHS = 12  # Reg 20: at least every 12 months from the issue or the last review
INVITATION_DAYS = 14  # Reg 20(4): invitations (and advice asked for) at least 2 weeks before
REPORT_DAYS = 14  # Reg 20(7): the report within 2 weeks of the meeting
DECISION_DAYS = 28  # Reg 20(10): the decision within 4 weeks of the meeting
APPEAL_MONTHS = 2  # a decision not to amend: to the SEND Tribunal within 2 months
AMENDED_PLAN_WEEKS_AFTER_MEETING = 12  # case law (2022): the amended plan within 12 weeks
EVERY_INVITEE: tuple[Invitee, ...] = ("family", "school", "health", "social_care")


class ReviewDeadline(enum.StrEnum):
    MEETING = "review_meeting"  # by 12 months from the issue or the last review
    INVITATIONS = "review_invitations"  # 2 weeks before the meeting
    REPORT = "review_report"  # 2 weeks after the meeting
    DECISION = "review_decision"  # 4 weeks after the meeting
    AMENDED_PLAN = "amended_plan"  # 8 weeks from the proposals, 12 from the meeting


class Stage(enum.StrEnum):
    SCHEDULED = "scheduled"  # due; not yet opened by the scheduler
    OPENED = "opened"
    MEETING_ARRANGED = "meeting_arranged"
    INVITED = "invited"
    MEETING_HELD = "meeting_held"
    REPORT_SENT = "report_sent"
    DECIDED = "decided"


@dataclass(frozen=True)
class AnnualReview:
    id: UUID
    referral_id: UUID
    local_authority: str
    due_on: date
    """The meeting is due by this day (12 months from the issue or the last review)."""
    stage: Stage
    meeting_on: date | None = None
    held_on: date | None = None


Deadlines = dict[ReviewDeadline, date]
"""Deadlines a step sets (their due day)."""
Met = dict[ReviewDeadline, date]
"""Deadlines a step meets (the day it was met)."""


@dataclass(frozen=True)
class Taken:
    review: AnnualReview
    event: (
        AnnualReviewMeetingArranged
        | AnnualReviewInvitationsSent
        | AnnualReviewMeetingHeld
        | AnnualReviewReportSent
        | AnnualReviewDecided
    )
    sets: Deadlines
    meets: Met


def next_review_due(last_review_or_issue: date) -> date:
    return add_months(last_review_or_issue, REVIEW_MONTHS)


def _not_future(field: str, day: date, today: date) -> None:
    if day > today:
        raise InvalidStep(field, f"must not be in the future (today is {today})")


def _expect(review: AnnualReview, *stages: Stage) -> None:
    if review.stage not in stages:
        wanted = " or ".join(s.value for s in stages)
        raise OutOfOrder(f"the review is {review.stage.value}; this step follows {wanted}")


def arrange_meeting(review: AnnualReview, meeting_on: date, today: date) -> Taken:
    """The meeting's day, which sets the invitations' latest day (2 weeks before it)."""
    _expect(review, Stage.OPENED, Stage.MEETING_ARRANGED)
    if meeting_on < today:
        raise InvalidStep("meeting_on", "a meeting arranged now is on a day to come")
    invite_by = meeting_on - timedelta(INVITATION_DAYS)
    event = AnnualReviewMeetingArranged(
        referral_id=review.referral_id,
        local_authority=review.local_authority,
        review_id=review.id,
        meeting_on=meeting_on,
        invite_by=invite_by,
        review_due=review.due_on,
    )
    arranged = replace(review, stage=Stage.MEETING_ARRANGED, meeting_on=meeting_on)
    return Taken(arranged, event, {ReviewDeadline.INVITATIONS: invite_by}, {})


def send_invitations(
    review: AnnualReview, sent_on: date, invitees: list[Invitee], today: date
) -> Taken:
    """Everyone the law names is invited, and asked for advice and information (Reg 20(3))."""
    _expect(review, Stage.MEETING_ARRANGED)
    _not_future("sent_on", sent_on, today)
    missing = [who for who in EVERY_INVITEE if who not in invitees]
    if missing:
        raise InvalidStep("invitees", f"the law asks that these are invited too: {missing}")
    assert review.meeting_on is not None
    event = AnnualReviewInvitationsSent(
        referral_id=review.referral_id,
        local_authority=review.local_authority,
        review_id=review.id,
        sent_on=sent_on,
        meeting_on=review.meeting_on,
        invitees=invitees,
    )
    invited = replace(review, stage=Stage.INVITED)
    return Taken(invited, event, {}, {ReviewDeadline.INVITATIONS: sent_on})


def hold_meeting(review: AnnualReview, held_on: date, today: date) -> Taken:
    """The meeting was held: the report is due within 2 weeks, the decision within 4."""
    _expect(review, Stage.INVITED)
    _not_future("held_on", held_on, today)
    report_due, decision_due = held_on + timedelta(REPORT_DAYS), held_on + timedelta(DECISION_DAYS)
    event = AnnualReviewMeetingHeld(
        referral_id=review.referral_id,
        local_authority=review.local_authority,
        review_id=review.id,
        held_on=held_on,
        report_due=report_due,
        decision_due=decision_due,
    )
    held = replace(review, stage=Stage.MEETING_HELD, held_on=held_on)
    sets = {ReviewDeadline.REPORT: report_due, ReviewDeadline.DECISION: decision_due}
    return Taken(held, event, sets, {ReviewDeadline.MEETING: held_on})


def send_report(review: AnnualReview, sent_on: date, today: date) -> Taken:
    """The meeting's report went to everyone invited (Reg 20(7))."""
    _expect(review, Stage.MEETING_HELD)
    _not_future("sent_on", sent_on, today)
    assert review.held_on is not None
    if sent_on < review.held_on:
        raise InvalidStep("sent_on", "the report follows the meeting")
    event = AnnualReviewReportSent(
        referral_id=review.referral_id,
        local_authority=review.local_authority,
        review_id=review.id,
        sent_on=sent_on,
        held_on=review.held_on,
        decision_due=review.held_on + timedelta(DECISION_DAYS),
    )
    return Taken(
        replace(review, stage=Stage.REPORT_SENT), event, {}, {ReviewDeadline.REPORT: sent_on}
    )


def decide(review: AnnualReview, decision: ReviewDecision, decided_on: date, today: date) -> Taken:
    """The council's decision (Reg 20(10)); the next review is due 12 months from the
    meeting."""
    _expect(review, Stage.MEETING_HELD, Stage.REPORT_SENT)
    _not_future("decided_on", decided_on, today)
    assert review.held_on is not None
    if decided_on < review.held_on:
        raise InvalidStep("decided_on", "the decision follows the meeting")
    following = next_review_due(review.held_on)
    event = AnnualReviewDecided(
        referral_id=review.referral_id,
        local_authority=review.local_authority,
        review_id=review.id,
        decision=decision,
        decided_on=decided_on,
        next_review_due=None if decision == "cease" else following,
        appeal_by=add_months(decided_on, APPEAL_MONTHS) if decision == "keep" else None,
    )
    decided = replace(review, stage=Stage.DECIDED)
    sets: Deadlines = {}
    if decision == "amend":  # the amended plan: 12 weeks from the meeting at the latest
        sets[ReviewDeadline.AMENDED_PLAN] = review.held_on + timedelta(
            weeks=AMENDED_PLAN_WEEKS_AFTER_MEETING
        )
    return Taken(decided, event, sets, {ReviewDeadline.DECISION: decided_on})
