from datetime import date
from uuid import uuid4

import pytest
from referrals.domain import (
    FamilyContact,
    NewReferral,
    Postcode,
    StatutoryStep,
    Step,
    family_words,
    is_valid_nhs_number,
    phase_of,
    receive,
    status_after,
)
from referrals.statutory import Deadline, deadline_dates

from shared.events import (
    FamilyContactRegistered,
    ReferralDescribed,
    ReferralReceived,
    Sen2Need,
)


@pytest.mark.parametrize("number", ["9434765919", "943 476 5919", "9990000018"])
def test_valid_nhs_numbers_pass_the_modulus_11_check(number: str) -> None:
    assert is_valid_nhs_number(number)


@pytest.mark.parametrize(
    "number",
    ["9434765918", "943476591", "94347659190", "94347659A9", "", "0000000010"],
)
def test_nhs_numbers_with_a_wrong_check_digit_or_shape_are_refused(number: str) -> None:
    assert not is_valid_nhs_number(number)


def test_a_check_digit_of_ten_makes_the_number_invalid() -> None:
    # 1000000010: weights give 10*1 + 2*1 = 12, 12 mod 11 = 1, 11 - 1 = 10 -> invalid.
    assert not is_valid_nhs_number("1000000010")


def test_statutory_clock_counts_weeks_from_the_request() -> None:
    dates = {kind: without for kind, (without, _) in deadline_dates(date(2026, 1, 5)).items()}
    assert dates[Deadline.DECISION] == date(2026, 2, 16)  # 6 weeks
    assert dates[Deadline.ISSUE_DECISION] == date(2026, 4, 27)  # 16 weeks: a decision NOT to issue
    assert dates[Deadline.DRAFT_PLAN] == date(2026, 5, 10)  # leaves 15 days before week 20
    assert dates[Deadline.FINAL_PLAN] == date(2026, 5, 25)  # 20 weeks


@pytest.mark.parametrize(
    ("text", "district", "normalised"),
    [
        ("LS6 2AB", "LS6", "LS6 2AB"),
        ("sw1a1aa", "SW1A", "SW1A 1AA"),
        (" bd1 1aa ", "BD1", "BD1 1AA"),
        ("m1  1ae", "M1", "M1 1AE"),
        ("EC1A 1BB", "EC1A", "EC1A 1BB"),
        ("W1A 0AX", "W1A", "W1A 0AX"),
        ("B33 8TH", "B33", "B33 8TH"),
        ("CR2 6XH", "CR2", "CR2 6XH"),
        ("DN55 1PT", "DN55", "DN55 1PT"),
        ("GIR 0AA", "GIR", "GIR 0AA"),  # outside the format, and a postcode all the same
        ("gir0aa", "GIR", "GIR 0AA"),
    ],
)
def test_a_postcode_is_read_once_into_its_district_and_normal_form(
    text: str, district: str, normalised: str
) -> None:
    postcode = Postcode.parse(text)
    assert postcode.district == district
    assert str(postcode) == normalised


@pytest.mark.parametrize(
    "text",
    [
        "90210",
        "LS6 2CB",
        "QS6 2AB",
        "LS6",
        "LS6 2AB X",
        "\uff2c\uff336 2AB",  # full-width letters
        "GIR 1AB",  # GIR is 0AA only
        "GIR",
    ],
)
def test_a_postcode_not_in_the_full_uk_format_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="UK postcode"):
        Postcode.parse(text)


def test_the_preferred_channel_needs_its_detail() -> None:
    with pytest.raises(ValueError, match="sms: needed for the preferred channel"):
        FamilyContact(name="Ann Parent", email="ann@example.org", preferred_channel="sms")


def test_status_is_the_furthest_step_whatever_order_events_arrive_in() -> None:
    assert status_after([Step.FAMILY_NOTIFIED, Step.RECEIVED, Step.PLAN_DRAFTED]) == (
        Step.PLAN_DRAFTED  # a message reaching the family does not move the referral on
    )
    assert status_after([Step.SPECIALIST_ASSIGNED, Step.MESSAGE_SENT]) == Step.SPECIALIST_ASSIGNED
    assert status_after([Step.PLAN_DRAFTED, Step.RECEIVED]) == Step.PLAN_DRAFTED
    assert status_after([]) == Step.RECEIVED


def test_received_referral_event_carries_no_personal_details() -> None:
    referral = NewReferral(
        referral_id=uuid4(),
        local_authority="E08000035",
        received_on=date(2026, 1, 5),
        requested_by="school",
        primary_need=Sen2Need.SLCN,
        postcode=Postcode.parse("LS6 2AB"),
        contact=FamilyContact(name="Ann Parent", email="ann@example.org"),
        date_of_birth=date(2019, 3, 4),
        school_urn="107958",
        strengths="Ann's son loves drawing",
        difficulties="Finds noisy rooms hard",
    )
    received, contact, described = receive(referral)
    assert isinstance(received, ReferralReceived)
    assert isinstance(contact, FamilyContactRegistered)
    assert isinstance(described, ReferralDescribed)
    public = received.model_dump_json()
    for personal in ("Ann", "example.org", "2AB", "2019", "drawing", "noisy"):
        assert personal not in public
    assert received.described
    assert received.age_years == 6
    assert received.phase == "primary"
    assert described.topic() == "referrals.referral-described.v1"  # only plans reads it
    assert described.strengths == "Ann's son loves drawing"
    assert received.postcode_district == "LS6"
    assert received.final_plan_due == date(2026, 5, 25)
    assert received.track == "support"
    assert contact.email == "ann@example.org"
    assert contact.topic() == "referrals.family-contact-registered.v1"


@pytest.mark.parametrize(
    ("born", "on", "phase"),
    [
        (date(2022, 9, 1), date(2026, 11, 29), "early_years"),  # nursery
        (date(2021, 9, 1), date(2026, 11, 29), "early_years"),  # reception: 5 only next year
        (date(2021, 8, 31), date(2026, 11, 29), "primary"),  # the summer-born: year 1
        (date(2015, 9, 1), date(2026, 11, 29), "primary"),  # year 6
        (date(2015, 8, 31), date(2026, 11, 29), "secondary"),  # year 7
        (date(2009, 9, 1), date(2026, 7, 20), "secondary"),  # year 11, before the summer
        (date(2009, 9, 1), date(2026, 9, 1), "post_16"),  # the September after
        (date(2003, 1, 1), date(2026, 11, 29), "post_16"),
    ],
)
def test_phase_follows_the_english_school_year(born: date, on: date, phase: str) -> None:
    assert phase_of(born, on) == phase


def test_a_referral_without_the_referrers_words_causes_no_description() -> None:
    referral = NewReferral(
        referral_id=uuid4(),
        local_authority="E08000035",
        received_on=date(2026, 1, 5),
        requested_by="parent",
        primary_need=Sen2Need.HI,
        postcode=Postcode.parse("LS6 2AB"),
        contact=FamilyContact(name="Ann Parent", email="ann@example.org"),
        secondary_needs=(Sen2Need.SLCN,),
    )
    events = receive(referral)
    assert [type(e) for e in events] == [ReferralReceived, FamilyContactRegistered]
    received = events[0]
    assert isinstance(received, ReferralReceived)
    assert not received.described
    assert received.secondary_needs == [Sen2Need.SLCN]


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("decision", "We did not meet a legal time limit; we are sorry"),
        ("final_plan", "We did not meet a legal time limit; we are sorry"),
        ("draft_plan", "We did not send the draft EHC plan by our own target date; we are sorry"),
        ("issue_decision", "We did not decide whether to issue an EHC plan by our own target"),
        ("advice:medical", "A professional's advice did not come within the 6 weeks the law"),
    ],
)
def test_a_missed_deadline_on_the_timeline_is_legal_only_where_the_law_sets_it(
    kind: str, said: str
) -> None:
    """The draft's and the issue decision's dates are the council's own targets: a family is
    never told "we did not meet a legal deadline" for them (nor for an adviser's 6 weeks)."""
    words = family_words(StatutoryStep.DEADLINE_MISSED, kind)
    assert words.startswith(said)
    assert "deadline" not in words
    if kind in {"draft_plan", "issue_decision", "advice:medical"}:
        assert "legal" not in words


@pytest.mark.parametrize(
    ("requested_by", "track", "suggested"),
    [
        ("health", "support", True),
        ("social_care", "support", True),
        ("parent", "ehc", False),
        ("young_person", "ehc", False),
        ("school", "ehc", False),
    ],
)
def test_only_a_parent_young_person_or_school_requests_an_assessment(
    requested_by: str, track: str, suggested: bool
) -> None:
    """s36(1): a professional's ask for an EHC needs assessment brings the child to the
    council's attention (s24): taken in as support, marked for the council to decide."""
    from referrals.schemas import EXAMPLE_REQUEST, ReferralRequest
    from referrals.taking_in import new_referral

    body = ReferralRequest.model_validate(
        {**EXAMPLE_REQUEST, "track": "ehc", "requested_by": requested_by}
    )
    taken = new_referral(uuid4(), body, date(2026, 10, 2))
    assert (taken.track, taken.assessment_suggested) == (track, suggested)
