"""What a practitioner may do with an allocation of theirs (``specialists.caseload.rules``):
accept once, then arrange the first session (a day from the allocation's to a year ahead; the
same day again changes nothing) and record sessions given (not in the future), never on an
ended allocation."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from uuid import uuid4

import pytest
from specialists.caseload import rules
from specialists.caseload.rules import Allocated, BadDay, Refused

TODAY = date(2027, 3, 1)
ALLOCATED = Allocated(
    id=uuid4(),
    referral_id=uuid4(),
    specialist_id=uuid4(),
    role="speech_and_language_therapy",
    local_authority="E08000035",
    status="active",
    allocated_on=TODAY - timedelta(days=3),
    accepted_on=None,
    first_session_on=None,
)
ACCEPTED = replace(ALLOCATED, accepted_on=TODAY - timedelta(days=1))


def test_accepting_is_once_and_says_the_day() -> None:
    accepted = rules.accept(ALLOCATED, TODAY)

    assert accepted.accepted_on == TODAY
    assert (accepted.referral_id, accepted.allocation_id) == (ALLOCATED.referral_id, ALLOCATED.id)
    with pytest.raises(Refused, match="accepted on 2027-02-28"):
        rules.accept(ACCEPTED, TODAY)
    with pytest.raises(Refused, match="ended"):
        rules.accept(replace(ALLOCATED, status="ended"), TODAY)


def test_the_first_session_is_arranged_once_accepted_and_a_new_day_is_a_rearrangement() -> None:
    with pytest.raises(Refused, match="accept"):
        rules.arrange_first_session(ALLOCATED, TODAY, TODAY)

    first = rules.arrange_first_session(ACCEPTED, TODAY + timedelta(days=5), TODAY)
    assert first is not None
    assert not first.rearranged
    assert first.session_on == TODAY + timedelta(days=5)

    arranged = replace(ACCEPTED, first_session_on=first.session_on)
    assert rules.arrange_first_session(arranged, first.session_on, TODAY) is None
    moved = rules.arrange_first_session(arranged, TODAY + timedelta(days=6), TODAY)
    assert moved is not None
    assert moved.rearranged


@pytest.mark.parametrize(
    "day", [ALLOCATED.allocated_on - timedelta(days=1), TODAY + timedelta(days=366)]
)
def test_a_first_session_before_the_allocation_or_over_a_year_ahead_names_the_field(
    day: date,
) -> None:
    with pytest.raises(BadDay) as refused:
        rules.arrange_first_session(ACCEPTED, day, TODAY)
    assert refused.value.field == "session_on"


def test_sessions_are_recorded_once_given_on_an_active_accepted_allocation() -> None:
    rules.check_session(ACCEPTED, TODAY, 30, TODAY)

    with pytest.raises(Refused, match="accept"):
        rules.check_session(ALLOCATED, TODAY, 30, TODAY)
    with pytest.raises(Refused, match="ended"):
        rules.check_session(replace(ACCEPTED, status="ended"), TODAY, 30, TODAY)
    for day, minutes, field in (
        (TODAY + timedelta(days=1), 30, "given_on"),
        (ALLOCATED.allocated_on - timedelta(days=1), 30, "given_on"),
        (TODAY, 0, "minutes"),
        (TODAY, rules.LONGEST_SESSION_MINUTES + 1, "minutes"),
    ):
        with pytest.raises(BadDay) as refused:
            rules.check_session(ACCEPTED, day, minutes, TODAY)
        assert refused.value.field == field
