"""A re-assessment's advice (Reg 25 applies Regs 6-8): each adviser's 6 weeks from being asked,
asked and received only while re-assessing, and the advice the law requires before the
outcome, as for an assessment."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest
from referrals.domain import StatutoryStep, family_words
from referrals.live import reassessment_advice
from referrals.live.reassessment import Reassessment, Stage
from referrals.statutory import AdviceKind, InvalidStep, OutOfOrder

from shared.events import LivePlanDeadlineMissed, Sen2Need

TODAY = date(2026, 6, 1)
DECIDED = date(2026, 5, 4)
EVERY_CHILDS = ["educational", "educational_psychology", "medical", "parent", "social_care"]


def _reassessing(stage: Stage = Stage.REASSESSING) -> Reassessment:
    return Reassessment(uuid4(), uuid4(), "E08000035", date(2026, 4, 28), stage, DECIDED)


def test_each_adviser_has_six_weeks_from_being_asked() -> None:
    limits = reassessment_advice.ask(
        _reassessing(), [AdviceKind.MEDICAL, AdviceKind.PARENT], date(2026, 5, 6), [], TODAY
    )
    assert limits == {"advice:medical": date(2026, 6, 17), "advice:parent": date(2026, 6, 17)}
    assert reassessment_advice.asked_on(date(2026, 6, 17)) == date(2026, 5, 6)


def test_advice_is_asked_for_only_while_re_assessing_and_once_each() -> None:
    for stage in (Stage.REQUESTED, Stage.REFUSED, Stage.CONCLUDED):
        with pytest.raises(OutOfOrder):
            reassessment_advice.ask(_reassessing(stage), [AdviceKind.MEDICAL], DECIDED, [], TODAY)
    with pytest.raises(OutOfOrder, match="medical"):
        reassessment_advice.ask(_reassessing(), [AdviceKind.MEDICAL], DECIDED, ["medical"], TODAY)


@pytest.mark.parametrize(
    "day", [DECIDED - timedelta(days=1), TODAY + timedelta(days=1)], ids=["early", "future"]
)
def test_advice_asked_for_before_the_decision_or_in_the_future_names_its_date(day: date) -> None:
    with pytest.raises(InvalidStep) as bad:
        reassessment_advice.ask(_reassessing(), [AdviceKind.MEDICAL], day, [], TODAY)
    assert bad.value.field == "requested_on"


def test_advice_received_meets_its_limit_and_only_if_asked_for() -> None:
    due = date(2026, 6, 17)
    assert reassessment_advice.receive(
        _reassessing(), AdviceKind.MEDICAL, due, date(2026, 5, 20), TODAY
    ) == {"advice:medical": date(2026, 5, 20)}
    with pytest.raises(OutOfOrder):
        reassessment_advice.receive(_reassessing(), AdviceKind.MEDICAL, None, TODAY, TODAY)
    with pytest.raises(InvalidStep) as bad:
        reassessment_advice.receive(
            _reassessing(), AdviceKind.MEDICAL, due, date(2026, 5, 5), TODAY
        )
    assert bad.value.field == "received_on"


def test_the_outcome_needs_the_advice_every_child_needs_and_the_childs_own() -> None:
    needs = (Sen2Need.ASD, Sen2Need.HI)
    assert reassessment_advice.missing(needs, date(2015, 3, 4), TODAY, []) == sorted(
        [*EVERY_CHILDS, "teacher_of_the_deaf"]
    )
    # from Year 9, advice on preparing for adulthood (Reg 6(1)(g))
    assert reassessment_advice.missing((Sen2Need.ASD,), date(2012, 3, 4), TODAY, EVERY_CHILDS) == [
        "preparing_for_adulthood"
    ]
    assert reassessment_advice.missing((Sen2Need.ASD,), None, TODAY, EVERY_CHILDS) == []
    assert reassessment_advice.missing((), None, TODAY, []) == EVERY_CHILDS


def test_a_missed_advisers_limit_is_told_as_the_advisers_not_the_councils() -> None:
    missed = StatutoryStep.LIVE_PLAN_DEADLINE_MISSED
    assert family_words(missed, "advice:medical") == (
        "A professional's advice did not come within the 6 weeks the law gives them"
    )
    assert family_words(missed, "reassessment_plan") == (
        "We did not meet a legal time limit; we are sorry"
    )
    event = LivePlanDeadlineMissed(
        referral_id=uuid4(), local_authority="E08000035", process_id=uuid4(),
        deadline="advice:medical", due_on=TODAY,
    )  # fmt: skip
    assert event.deadline == "advice:medical"
