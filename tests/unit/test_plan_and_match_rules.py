from datetime import date
from uuid import uuid4

import pytest
from plans.domain import draft_plan, sections_of
from plans.standards import NATIONAL_STANDARDS
from specialists.domain import Specialist, allocate

from shared.events import (
    PlanDrafted,
    ReferralReceived,
    ReferralWaitlisted,
    Sen2Need,
    SpecialistAssigned,
)


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
    for quantity in ("sessions_per_week", "minutes_per_session", "weeks", "group_size"):
        assert provision[quantity] > 0, quantity
    assert provision["support"]
    assert provision["delivered_by"]
    assert event.required_specialism == NATIONAL_STANDARDS[need].specialism
    assert event.plan_id == plan.id


def test_speech_and_language_needs_go_to_speech_and_language_therapy() -> None:
    _, event = draft_plan(_referral(Sen2Need.SLCN))
    assert event.area_of_need == "communication and interaction"
    assert event.required_specialism == "speech_and_language_therapy"


def _specialist(districts: tuple[str, ...], capacity: int, used: int) -> Specialist:
    return Specialist(
        uuid4(), "speech_and_language_therapy", "E08000035", districts, capacity, used
    )


def _plan(district: str = "LS6") -> PlanDrafted:
    _, event = draft_plan(_referral(Sen2Need.SLCN))
    return event.model_copy(update={"postcode_district": district})


def test_a_specialist_in_the_childs_district_is_preferred_even_when_busier() -> None:
    near = _specialist(("LS6",), capacity=10, used=9)
    far = _specialist(("LS11",), capacity=10, used=0)
    outcome = allocate([far, near], _plan("LS6"))
    assert isinstance(outcome, SpecialistAssigned)
    assert outcome.specialist_id == near.id
    assert outcome.same_district


def test_a_full_local_specialist_is_passed_over_for_one_with_room() -> None:
    near_full = _specialist(("LS6",), capacity=3, used=3)
    far = _specialist(("LS11",), capacity=3, used=1)
    outcome = allocate([near_full, far], _plan("LS6"))
    assert isinstance(outcome, SpecialistAssigned)
    assert outcome.specialist_id == far.id
    assert not outcome.same_district


def test_referral_is_waitlisted_when_every_specialist_is_full() -> None:
    outcome = allocate([_specialist(("LS6",), 2, 2)], _plan())
    assert isinstance(outcome, ReferralWaitlisted)
    assert outcome.specialism == "speech_and_language_therapy"


def test_specialists_of_another_council_are_never_chosen() -> None:
    other = Specialist(uuid4(), "speech_and_language_therapy", "E08000032", ("LS6",), 5, 0)
    assert isinstance(allocate([other], _plan()), ReferralWaitlisted)
