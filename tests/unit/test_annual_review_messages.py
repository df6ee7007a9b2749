"""The family's messages of a plan's annual review: the invitation, the report and each of the
three decisions, every one a duty (sent to a family who opted out of others), rendered with
nothing left unfilled; only a decision not to amend speaks of an appeal, and a decision to
cease is told as considered, not taken (the council consults first: s45, Reg 31)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from notifications.catalogue import CATALOGUE, Audience

from shared.events import (
    AmendedPlanIssued,
    AmendmentsProposed,
    AnnualReviewDecided,
    AnnualReviewInvitationsSent,
    AnnualReviewReportSent,
    DomainEvent,
    ReviewDecision,
)
from tests.unit.test_statutory_messages import _messages

LEEDS = "E08000035"


def _decided(decision: ReviewDecision) -> AnnualReviewDecided:
    return AnnualReviewDecided(
        referral_id=uuid4(), local_authority=LEEDS, review_id=uuid4(),
        decision=decision,
        decided_on=date(2027, 3, 1),
        next_review_due=None if decision == "cease" else date(2028, 2, 20),
        appeal_by=date(2027, 5, 1) if decision == "keep" else None,
    )  # fmt: skip


EVENTS: list[DomainEvent] = [
    AnnualReviewInvitationsSent(
        referral_id=uuid4(), local_authority=LEEDS, review_id=uuid4(), sent_on=date(2027, 2, 1),
        meeting_on=date(2027, 2, 20), invitees=["family", "school", "health", "social_care"],
    ),
    AnnualReviewReportSent(
        referral_id=uuid4(), local_authority=LEEDS, review_id=uuid4(), sent_on=date(2027, 2, 25),
        held_on=date(2027, 2, 20), decision_due=date(2027, 3, 20),
    ),
    _decided("keep"),
    _decided("amend"),
    _decided("cease"),
]  # fmt: skip


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: getattr(e, "decision", e.name))
def test_each_review_message_is_a_duty_and_renders_in_full(event: DomainEvent) -> None:
    assert type(event) in CATALOGUE
    ((alert, text),) = _messages(event)
    assert alert.audience is Audience.FAMILY
    assert next(k for k in CATALOGUE[type(event)] if k.template == alert.template).statutory
    assert not {"{", "}"} & set(text), alert.template
    assert "AB12CD34" in text
    assert "https://council.example/f" in text


def test_the_words_say_what_each_step_is_and_no_more() -> None:
    invitation, report, kept, amend, cease = (_messages(e)[0][1] for e in EVENTS)
    assert "20 February 2027" in invitation
    assert "20 March 2027" in report
    assert "appeal" in kept
    assert "1 May 2027" in kept
    assert "appeal" not in amend
    assert "15 days" in amend
    assert "appeal" not in cease
    assert "have not decided" in cease


AMENDMENT_EVENTS: list[DomainEvent] = [
    AmendmentsProposed(
        referral_id=uuid4(), local_authority=LEEDS, review_id=uuid4(), sent_on=date(2027, 3, 8),
        comments_until=date(2027, 3, 23), amended_plan_due=date(2027, 5, 3),
    ),
    AmendedPlanIssued(
        referral_id=uuid4(), local_authority=LEEDS, review_id=uuid4(),
        issued_on=date(2027, 4, 20), amended_plan_due=date(2027, 5, 3), late=False,
        appeal_by=date(2027, 6, 20),
    ),
]  # fmt: skip


def test_the_amendment_messages_give_the_time_to_comment_then_the_right_to_appeal() -> None:
    for event in AMENDMENT_EVENTS:
        ((alert, text),) = _messages(event)
        assert alert.audience is Audience.FAMILY
        assert not {"{", "}"} & set(text), alert.template
    proposed, issued = (_messages(e)[0][1] for e in AMENDMENT_EVENTS)
    assert "23 March 2027" in proposed
    assert "school or college" in proposed
    assert "appeal" not in proposed
    assert "appeal" in issued
    assert "20 June 2027" in issued
