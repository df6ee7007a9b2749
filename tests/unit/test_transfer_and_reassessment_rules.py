"""The limits of a plan transferred in (Reg 15) and of a re-assessment (Regs 24-27), each
computed from the law's words."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from referrals.live import reassessment, transfer_in
from referrals.live.reassessment import LivePlanDeadline, Reassessment, Stage
from referrals.live.transfer_in import Transfer
from referrals.statutory import InvalidStep, OutOfOrder

from shared.events import ReassessmentConcluded, ReassessmentDecided

TODAY = date(2026, 6, 1)


def test_review_due_is_twelve_months_from_the_last_review_when_that_is_later() -> None:
    # reviewed in March 2026, transferred in May: 12 months (March 2027) is later than 3 (August)
    assert transfer_in.review_due(date(2026, 3, 10), date(2026, 5, 4)) == date(2027, 3, 10)


def test_review_due_is_three_months_from_the_transfer_when_that_is_later() -> None:
    # reviewed 11 months before the transfer: the new council has 3 months from the transfer
    assert transfer_in.review_due(date(2025, 6, 1), date(2026, 5, 4)) == date(2026, 8, 4)


def test_family_is_told_within_six_weeks_of_the_transfer() -> None:
    assert transfer_in.decide_by(date(2026, 5, 4)) == date(2026, 6, 15)


def _transfer(**changes: object) -> Transfer:
    fields: dict[str, object] = {
        "id": uuid4(), "referral_id": uuid4(), "local_authority": "E08000035",
        "from_council": "E08000036", "transferred_on": date(2026, 5, 4),
        "review_due": date(2026, 8, 4),
    }  # fmt: skip
    fields.update(changes)
    return Transfer(**fields)  # type: ignore[arg-type]  # the test's own fields


def test_transfer_sets_both_limits_on_its_event() -> None:
    event = transfer_in.transfer_in(_transfer(), date(2024, 1, 5), date(2025, 6, 1), TODAY)
    assert (event.decide_by, event.review_due) == (date(2026, 6, 15), date(2026, 8, 4))


def test_a_plan_cannot_come_from_this_council_itself() -> None:
    with pytest.raises(InvalidStep) as bad:
        transfer_in.transfer_in(
            _transfer(from_council="E08000035"), date(2024, 1, 5), date(2025, 6, 1), TODAY
        )
    assert bad.value.field == "from_council"


def test_telling_the_family_late_is_marked_late_and_a_reassessment_gets_fourteen_weeks() -> None:
    decided = transfer_in.tell_family(
        _transfer(), True, date(2026, 6, 16), date(2026, 7, 1), uuid4()
    )
    assert decided.late
    assert decided.finalise_by == date(2026, 9, 22)  # 14 weeks from telling the family
    with pytest.raises(OutOfOrder):
        transfer_in.tell_family(
            _transfer(told_on=date(2026, 6, 1)), False, date(2026, 6, 2), TODAY, None
        )


def test_reassessment_decision_is_due_fifteen_days_from_the_request() -> None:
    taken = reassessment.request(uuid4(), uuid4(), "E08000035", "parent", date(2026, 5, 20), TODAY)
    assert taken.sets == {LivePlanDeadline.REASSESSMENT_DECISION: date(2026, 6, 4)}


def _asked(**changes: object) -> Reassessment:
    asked = Reassessment(uuid4(), uuid4(), "E08000035", date(2026, 5, 20), Stage.REQUESTED)
    return Reassessment(**{**asked.__dict__, **changes})


def test_decision_to_reassess_sets_the_plan_fourteen_weeks_from_telling_the_family() -> None:
    taken = reassessment.decide(_asked(), True, date(2026, 6, 1), TODAY)
    assert taken.sets == {LivePlanDeadline.REASSESSMENT_PLAN: date(2026, 9, 7)}
    assert taken.meets == {LivePlanDeadline.REASSESSMENT_DECISION: date(2026, 6, 1)}
    assert isinstance(taken.event, ReassessmentDecided)
    assert taken.event.appeal_by is None
    assert taken.reassessment.stage == Stage.REASSESSING


def test_a_refusal_carries_the_right_to_appeal_within_two_months() -> None:
    taken = reassessment.decide(_asked(), False, date(2026, 6, 1), TODAY)
    assert isinstance(taken.event, ReassessmentDecided)
    assert taken.event.appeal_by == date(2026, 8, 1)
    assert taken.sets == {}
    assert not taken.event.late
    late = reassessment.decide(_asked(), False, date(2026, 6, 5), date(2026, 7, 1)).event
    assert isinstance(late, ReassessmentDecided)
    assert late.late


def test_reassessment_concludes_only_after_a_decision_to_reassess() -> None:
    with pytest.raises(OutOfOrder):
        reassessment.conclude(_asked(), "plan_amended", date(2026, 6, 1), TODAY)
    with pytest.raises(OutOfOrder):
        reassessment.decide(_asked(stage=Stage.REFUSED), True, date(2026, 6, 1), TODAY)


def test_conclusion_after_fourteen_weeks_is_late_and_can_be_appealed() -> None:
    reassessing = _asked(stage=Stage.REASSESSING, decided_on=date(2026, 3, 2))
    taken = reassessment.conclude(
        reassessing, "plan_not_amended", date(2026, 6, 9), date(2026, 7, 1)
    )
    assert isinstance(taken.event, ReassessmentConcluded)
    assert (taken.event.finalise_by, taken.event.late) == (date(2026, 6, 8), True)
    assert taken.event.appeal_by == date(2026, 8, 9)
    assert taken.meets == {LivePlanDeadline.REASSESSMENT_PLAN: date(2026, 6, 9)}
