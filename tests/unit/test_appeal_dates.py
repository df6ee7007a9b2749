"""The last day to appeal to the SEND Tribunal: 2 months from the notice of the decision, or
1 month from the mediation certificate, whichever is later (#21)."""

from datetime import date
from uuid import uuid4

import pytest
from referrals.statutory import EhcRequest, InvalidStep, OutOfOrder, Stage, appeal_date

REFUSED_ON = date(2026, 3, 2)
TODAY = date(2026, 12, 31)


def _refused() -> EhcRequest:
    request = EhcRequest(
        referral_id=uuid4(),
        local_authority="E08000035",
        requested_on=date(2026, 1, 19),
        requested_by="parent",
        escalated=False,
    )
    reason = "no_evidence_of_special_educational_needs"
    refused, event = request.decide_assessment("refuse", REFUSED_ON, reason, TODAY)
    assert event.appeal_by == date(2026, 5, 2)
    return refused


def test_without_a_certificate_the_appeal_date_is_two_months_from_the_notice() -> None:
    assert appeal_date(REFUSED_ON) == date(2026, 5, 2)
    assert _refused().appeal_by == date(2026, 5, 2)


def test_a_late_mediation_certificate_gives_a_month_from_its_date() -> None:
    mediated = _refused().record_mediation(date(2026, 3, 20), date(2026, 4, 20), TODAY)
    assert mediated.appeal_by == date(2026, 5, 20)


def test_an_early_certificate_never_shortens_the_two_months() -> None:
    mediated = _refused().record_mediation(date(2026, 3, 3), date(2026, 3, 10), TODAY)
    assert mediated.appeal_by == date(2026, 5, 2)


def test_mediation_dates_are_recorded_as_they_come() -> None:
    asked = _refused().record_mediation(date(2026, 3, 20), None, TODAY)
    assert asked.appeal_by == date(2026, 5, 2)
    certified = asked.record_mediation(None, date(2026, 4, 30), TODAY)
    assert certified.mediation_asked_on == date(2026, 3, 20)
    assert certified.appeal_by == date(2026, 5, 30)


def test_the_final_plan_is_appealed_from_its_issue() -> None:
    final = EhcRequest(
        referral_id=uuid4(),
        local_authority="E08000035",
        requested_on=date(2026, 1, 5),
        requested_by="parent",
        escalated=False,
        stage=Stage.FINAL_PLAN_ISSUED,
        final_issued_on=date(2026, 5, 20),
    )
    assert final.appeal_by == date(2026, 7, 20)
    assert final.record_mediation(None, date(2026, 7, 1), TODAY).appeal_by == date(2026, 8, 1)


def test_mediation_before_a_decision_that_can_be_appealed_is_out_of_order() -> None:
    assessing, _ = EhcRequest(
        referral_id=uuid4(),
        local_authority="E08000035",
        requested_on=date(2026, 1, 19),
        requested_by="parent",
        escalated=False,
    ).decide_assessment("assess", REFUSED_ON, None, TODAY)
    assert assessing.appeal_by is None
    with pytest.raises(OutOfOrder):
        assessing.record_mediation(date(2026, 3, 3), None, TODAY)


@pytest.mark.parametrize(
    ("asked", "certificate", "field"),
    [
        (None, None, "mediation_asked_on"),
        (date(2026, 3, 1), None, "mediation_asked_on"),  # before the decision
        (date(2026, 3, 20), date(2026, 3, 19), "mediation_certificate_on"),  # before asking
        (date(2026, 3, 20), date(2027, 1, 1), "mediation_certificate_on"),  # in the future
    ],
)
def test_impossible_mediation_dates_name_their_field(
    asked: date | None, certificate: date | None, field: str
) -> None:
    with pytest.raises(InvalidStep) as refused:
        _refused().record_mediation(asked, certificate, TODAY)
    assert refused.value.field == field
