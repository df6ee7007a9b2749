"""Consulting a school about naming it in a child's EHC plan (``referrals.consultations``):
only on the draft plan, 15 days to answer (s39), answered once, a "cannot" with its reason,
and whether the answer came in time."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest
from referrals.consultations import RESPONSE_DAYS, Sent, consult, reply
from referrals.statutory import InvalidStep, OutOfOrder, Stage

TODAY = date(2027, 3, 1)
LEEDS = "E08000035"


def test_a_school_consulted_on_the_draft_has_15_days() -> None:
    event = consult(uuid4(), LEEDS, Stage.DRAFT_PLAN_ISSUED, "107958", TODAY, TODAY)
    assert RESPONSE_DAYS == 15
    assert event.respond_by == TODAY + timedelta(days=15)
    assert event.school_urn == "107958"


@pytest.mark.parametrize(
    ("stage", "why"),
    [
        (Stage.ASSESSING, "not issued"),
        (Stage.PLAN_TO_BE_ISSUED, "not issued"),
        (Stage.FINAL_PLAN_ISSUED, "final plan"),
    ],
)
def test_only_the_draft_plan_is_consulted_on(stage: Stage, why: str) -> None:
    with pytest.raises(OutOfOrder, match=why):
        consult(uuid4(), LEEDS, stage, "107958", TODAY, TODAY)


def test_a_consultation_is_not_dated_ahead() -> None:
    with pytest.raises(InvalidStep) as refused:
        consult(uuid4(), LEEDS, Stage.DRAFT_PLAN_ISSUED, "107958", TODAY + timedelta(1), TODAY)
    assert refused.value.field == "sent_on"


def _sent(answered: bool = False) -> Sent:
    return Sent(uuid4(), uuid4(), LEEDS, "107958", TODAY + timedelta(15), answered)


def test_the_answer_is_once_a_cannot_says_why_and_lateness_is_told() -> None:
    assert reply(_sent(), "can_meet_needs", None, TODAY).in_time
    late = reply(_sent(), "can_meet_needs", None, TODAY + timedelta(16))
    assert not late.in_time
    with pytest.raises(InvalidStep) as refused:
        reply(_sent(), "cannot_meet_needs", None, TODAY)
    assert refused.value.field == "reason"
    with pytest.raises(OutOfOrder, match="already"):
        reply(_sent(answered=True), "can_meet_needs", None, TODAY)
