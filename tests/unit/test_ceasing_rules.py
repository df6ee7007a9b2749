"""Ceasing a plan (s45, Regs 29-31), pure: the grounds the law allows for the child's age, the
family and the school consulted before the decision, the appeal date from the decision or the
mediation certificate, and the plan ceased only once the time to appeal has passed with no
appeal, or an appeal is dismissed."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest
from referrals.live.ceasing import (
    Cessation,
    Stage,
    appeal_decided,
    appeal_lodged,
    ceases_on,
    consult,
    decide,
    lapse,
    propose,
    record_mediation,
)
from referrals.statutory import InvalidStep, OutOfOrder

from shared.events import CeaseReason

PROPOSED = date(2027, 3, 1)
VIEWS_BY = date(2027, 3, 22)
TODAY = date(2027, 9, 30)
ADULT_BORN = date(2007, 6, 1)  # 19 on the proposal
CHILD_BORN = date(2015, 6, 1)


def proposed(
    born: date | None = ADULT_BORN, reason: CeaseReason = "no_longer_necessary"
) -> Cessation:
    return propose(
        id=uuid4(), referral_id=uuid4(), local_authority="E08000035", reason=reason,
        proposed_on=PROPOSED, views_by=VIEWS_BY, today=TODAY, born=born, review_id=None,
    )  # fmt: skip


def consulted() -> Cessation:
    return consult(proposed(), date(2027, 3, 20), "We want it kept.", "Needs are met.", TODAY)


def to_cease() -> Cessation:
    return decide(consulted(), "cease", date(2027, 4, 1), "Needs are now met.", TODAY)


def test_under_18_a_plan_ceases_only_when_it_is_no_longer_necessary() -> None:
    with pytest.raises(InvalidStep) as refused:
        proposed(born=CHILD_BORN, reason="no_longer_responsible")
    assert refused.value.field == "reason"
    assert proposed(born=CHILD_BORN).stage == Stage.PROPOSED


def test_leaving_education_is_a_ground_only_after_a_review_found_it() -> None:
    with pytest.raises(InvalidStep) as refused:
        proposed(reason="left_education")
    assert refused.value.field == "reason"
    assert "Reg 30" in str(refused.value)


def test_the_views_are_asked_for_by_a_day_after_the_proposal() -> None:
    with pytest.raises(InvalidStep) as refused:
        propose(
            id=uuid4(), referral_id=uuid4(), local_authority="E08000035",
            reason="no_longer_necessary", proposed_on=PROPOSED, views_by=PROPOSED, today=TODAY,
            born=None, review_id=None,
        )  # fmt: skip
    assert refused.value.field == "views_by"


def test_the_decision_cannot_come_before_the_consultation() -> None:
    with pytest.raises(OutOfOrder, match="consulted first"):
        decide(proposed(), "cease", date(2027, 4, 1), "Needs are met.", TODAY)


def test_no_views_is_recorded_only_once_the_day_set_for_them_has_passed() -> None:
    with pytest.raises(InvalidStep) as early:
        consult(proposed(), VIEWS_BY, None, "The school agrees.", TODAY)
    assert early.value.field == "family_views"
    late = consult(proposed(), VIEWS_BY + timedelta(days=1), None, None, TODAY)
    assert (late.stage, late.consulted_on) == (Stage.CONSULTED, VIEWS_BY + timedelta(days=1))


def test_a_decision_needs_its_reasons() -> None:
    with pytest.raises(InvalidStep) as refused:
        decide(consulted(), "cease", date(2027, 4, 1), "  ", TODAY)
    assert refused.value.field == "note"


def test_deciding_not_to_cease_ends_the_process_and_keeps_the_plan() -> None:
    kept = decide(consulted(), "keep", date(2027, 4, 1), "The provision is still needed.", TODAY)
    assert kept.stage == Stage.KEPT
    assert kept.appeal_by is None
    assert ceases_on(kept) is None
    with pytest.raises(OutOfOrder):
        appeal_lodged(kept, date(2027, 4, 2), TODAY)


def test_the_appeal_date_is_2_months_from_the_decision_or_1_from_a_later_certificate() -> None:
    decided = to_cease()
    assert decided.appeal_by == date(2027, 6, 1)
    early = record_mediation(decided, date(2027, 4, 15), TODAY)
    assert early.appeal_by == date(2027, 6, 1)  # an early certificate never shortens it
    late = record_mediation(decided, date(2027, 5, 20), TODAY)
    assert late.appeal_by == date(2027, 6, 20)
    assert ceases_on(late) == date(2027, 6, 21)


def test_the_plan_ceases_only_after_the_time_to_appeal_has_passed() -> None:
    decided = to_cease()
    assert lapse(decided, date(2027, 6, 1)) is None  # the last day to appeal: still kept
    ceased = lapse(decided, date(2027, 6, 2))
    assert ceased is not None
    assert (ceased.stage, ceased.ceased_on) == (Stage.CEASED, date(2027, 6, 2))


def test_an_appeal_keeps_the_plan_until_it_is_decided() -> None:
    appealed = appeal_lodged(to_cease(), date(2027, 5, 30), TODAY)
    assert appealed.stage == Stage.APPEALED
    assert lapse(appealed, TODAY) is None  # long after the time to appeal: kept
    upheld = appeal_decided(appealed, "upheld", date(2027, 9, 1), TODAY)
    assert (upheld.stage, upheld.ceased_on) == (Stage.CONTINUES, None)
    dismissed = appeal_decided(appealed, "dismissed", date(2027, 9, 1), TODAY)
    assert (dismissed.stage, dismissed.ceased_on) == (Stage.CEASED, date(2027, 9, 1))


def test_an_appeal_after_the_time_to_appeal_is_refused() -> None:
    with pytest.raises(InvalidStep) as refused:
        appeal_lodged(to_cease(), date(2027, 6, 2), TODAY)
    assert refused.value.field == "lodged_on"
