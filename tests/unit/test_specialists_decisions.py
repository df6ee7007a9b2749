"""What matching and the waitlist decide (``specialists.domain``), without a database: the
outcome of one role, several outcomes told to the family at once, an allocation ended."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest
from specialists import domain
from specialists.matching import Entry, rank
from specialists.needs import Need, Needed

from shared.events import (
    AllocationEnded,
    ReferralWaitlisted,
    SpecialistAssigned,
    SpecialistsMatched,
)
from shared.specialisms import Specialism

LEEDS = "E08000035"
SLT, EP, OT = (
    Specialism.SPEECH_AND_LANGUAGE_THERAPY,
    Specialism.EDUCATIONAL_PSYCHOLOGY,
    Specialism.OCCUPATIONAL_THERAPY,
)


def _need(track: str = "support") -> Need:
    return Need(
        referral_id=uuid4(),
        local_authority=LEEDS,
        plan_id=uuid4(),
        primary_need="SLCN",
        secondary_needs=(),
        postcode_district="LS6",
        school_urn=None,
        language="en",
        track=track,
        statutory_due=date(2027, 3, 1) if track == "ehc" else None,
        needed_since=None,
    )


def _entry(n: int, capacity: int, allocated: int = 0) -> Entry:
    return Entry(
        id=UUID(int=n),
        display_name=f"entry {n}",
        role=SLT,
        councils=(LEEDS,),
        districts=("LS6",),
        capacity=capacity,
        allocated=allocated,
    )


def test_an_assignment_names_the_entry_chosen_and_how_it_came() -> None:
    need = _need("ehc")
    [choice] = rank([_entry(1, 10)], SLT, need.child, need.places).choices
    allocation_id = uuid4()
    made = domain.assignment(need, Needed(SLT, True), choice, allocation_id, from_waitlist=True)
    assert (made.referral_id, made.allocation_id, made.specialist_id) == (
        need.referral_id,
        allocation_id,
        UUID(int=1),
    )
    assert (made.specialism, made.statutory, made.from_waitlist, made.same_district) == (
        SLT,
        True,
        True,
        True,
    )


@pytest.mark.parametrize(
    ("entries", "places", "reason"),
    [
        ([_entry(1, 2, allocated=2)], 1, "teams_full"),  # a team serves; it is full
        ([], 1, "no_team"),  # none serves the child's council: a gap
        ([_entry(1, 1)], 2, "no_team"),  # heavier than the whole caseload: a gap too
    ],
)
def test_why_a_child_waits(entries: list[Entry], places: int, reason: str) -> None:
    assert domain.wait_reason(rank(entries, SLT, _need().child, places), places) == reason


def test_one_outcome_is_told_on_its_own() -> None:
    need = _need()
    waits = domain.waiting(need, Needed(SLT, False), "teams_full")
    assert domain.told_together(need, [waits]) == [waits]


def test_several_outcomes_are_told_once_after_them_all() -> None:
    need = _need("ehc")
    [choice] = rank([_entry(1, 10)], SLT, need.child, need.places).choices
    outcomes: list[domain.Outcome] = [
        domain.assignment(need, Needed(SLT, False), choice, uuid4(), from_waitlist=False),
        domain.waiting(need, Needed(EP, True), "teams_full"),
        domain.waiting(need, Needed(OT, False), "no_team"),
    ]
    *told, summary = domain.told_together(need, outcomes)
    assert [type(e) for e in told] == [SpecialistAssigned, ReferralWaitlisted, ReferralWaitlisted]
    assert all(e.told_in_match for e in told)  # type: ignore[attr-defined]  # both kinds have it
    assert isinstance(summary, SpecialistsMatched)
    assert (summary.matched_roles, summary.waiting_roles, summary.no_team_roles) == (
        [SLT],
        [EP],
        [OT],
    )


def _allocation(status: str) -> domain.Allocation:
    return domain.Allocation(uuid4(), uuid4(), uuid4(), SLT, LEEDS, 2, status)


def test_an_active_allocation_ends_and_an_ended_one_cannot() -> None:
    active = _allocation("active")
    ended = domain.end(active, "child_moved")
    assert isinstance(ended, AllocationEnded)
    assert (ended.allocation_id, ended.specialism, ended.reason) == (active.id, SLT, "child_moved")
    with pytest.raises(domain.NotActive):
        domain.end(_allocation("ended"), "child_moved")
