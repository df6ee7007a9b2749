from datetime import date
from uuid import uuid4

import pytest
from plans.domain import draft_plan, sections_of
from plans.standards import NATIONAL_STANDARDS

from shared.events import ReferralReceived, Sen2Need


def _referral(need: Sen2Need) -> ReferralReceived:
    return ReferralReceived(
        referral_id=uuid4(),
        local_authority="E08000035",
        received_on=date(2026, 1, 5),
        primary_need=need,
        requested_by="parent",
        postcode_district="LS6",
        decision_due=date(2026, 2, 16),
        final_plan_due=date(2026, 5, 25),
    )


def test_every_sen2_need_has_a_national_standard() -> None:
    assert set(NATIONAL_STANDARDS) == set(Sen2Need)


@pytest.mark.parametrize("need", list(Sen2Need))
def test_drafted_provision_is_specific_and_quantified(need: Sen2Need) -> None:
    plan, event = draft_plan(_referral(need))
    provisions = sections_of(plan)["F"]
    assert isinstance(provisions, list)
    [provision] = provisions
    assert all(provision[k] for k in ("who", "what", "how_often", "how_long", "group_size"))
    assert event.required_specialism == NATIONAL_STANDARDS[need].specialism
    assert event.plan_id == plan.id


def test_speech_and_language_needs_go_to_speech_and_language_therapy() -> None:
    _, event = draft_plan(_referral(Sen2Need.SLCN))
    assert event.area_of_need == "communication and interaction"
    assert event.required_specialism == "speech_and_language_therapy"
