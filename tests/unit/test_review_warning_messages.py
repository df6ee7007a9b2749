"""The SEND team's warnings of an annual review's limits (at risk, missed): to the team's
mailbox alone (email), a duty, rendered in full with the referral's reference, the limit in
words and its day, and nothing about the child."""

from __future__ import annotations

from datetime import date
from typing import get_args
from uuid import uuid4

import pytest
from notifications.catalogue import CATALOGUE, Audience
from notifications.review_warning_words import REVIEW_LIMITS

from shared.events import (
    AnnualReviewDeadlineAtRisk,
    AnnualReviewDeadlineMissed,
    DomainEvent,
    ReviewDeadlineKind,
)
from tests.unit.test_statutory_messages import _messages

LEEDS = "E08000035"


def _warnings(kind: ReviewDeadlineKind) -> list[DomainEvent]:
    common = {"referral_id": uuid4(), "local_authority": LEEDS, "review_id": uuid4()}
    return [
        AnnualReviewDeadlineAtRisk(**common, deadline=kind, due_on=date(2027, 3, 1), days_left=5),
        AnnualReviewDeadlineMissed(**common, deadline=kind, due_on=date(2027, 3, 1)),
    ]


@pytest.mark.parametrize("kind", get_args(ReviewDeadlineKind))
def test_each_review_limit_warns_the_send_team_in_its_own_words(
    kind: ReviewDeadlineKind,
) -> None:
    for event in _warnings(kind):
        ((alert, text),) = _messages(event)
        assert alert.audience is Audience.CASEWORKER
        assert alert.template in {"annual-review-limit-at-risk", "annual-review-limit-missed"}
        assert next(k for k in CATALOGUE[type(event)] if k.template == alert.template).statutory
        assert not {"{", "}"} & set(text), alert.template
        assert "AB12CD34" in text
        assert "https://council.example/f" in text
        assert "1 March 2027" in text
        assert REVIEW_LIMITS[kind] in text
        assert "your child" not in text


def test_at_risk_says_the_days_left_and_missed_says_it_passed() -> None:
    at_risk, missed = (_messages(e)[0][1] for e in _warnings("review_report"))
    assert "Days left: 5" in at_risk
    assert "has passed" in missed
