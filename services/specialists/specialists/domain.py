"""What matching and the waitlist decide, as the events that say so. Pure: no I/O.

The service around it (``allocating``, ``waitlist``) reads a referral's need and the registry,
takes places with one atomic update each (only the database can say who won the last place),
and asks here what the outcome is: an allocation, a wait and why, several outcomes told to the
family at once, an allocation ended. The events returned are what the unit of work stores
(``shared.unit_of_work``): to the outbox, with the audit rows they stand for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from shared.events import (
    AllocationEnded,
    DomainEvent,
    EndReason,
    ReferralWaitlisted,
    SpecialistAssigned,
    SpecialistsMatched,
    WaitReason,
)
from specialists.matching import Choice, Ranking
from specialists.needs import Need, Needed

Outcome = SpecialistAssigned | ReferralWaitlisted
"""What matching one role comes to: an allocation, or a place on the waitlist."""


def assignment(
    need: Need, needed: Needed, choice: Choice, allocation_id: UUID, *, from_waitlist: bool
) -> SpecialistAssigned:
    """``choice`` (whose places were just taken) allocated to the referral for the role."""
    assert need.plan_id is not None  # matching starts from a plan
    return SpecialistAssigned(
        referral_id=need.referral_id,
        allocation_id=allocation_id,
        specialist_id=choice.entry.id,
        plan_id=need.plan_id,
        specialism=needed.role,
        local_authority=need.local_authority,
        same_district=choice.same_district,
        display_name=choice.entry.display_name,
        from_waitlist=from_waitlist,
        statutory=needed.statutory,
        team_email=choice.entry.email,
    )


def wait_reason(ranking: Ranking, places: int) -> WaitReason:
    """Why a child no entry could take waits: the teams serving them are full, or none is
    (``no_team``: a gap to commission). A case heavier than any serving entry's whole
    caseload can never be taken: a gap too, so it never holds the waitlist's line."""
    able = any(c.entry.capacity >= places for c in ranking.choices)
    return "teams_full" if able else "no_team"


def waiting(need: Need, needed: Needed, reason: WaitReason) -> ReferralWaitlisted:
    """The referral waits for the role."""
    assert need.plan_id is not None
    return ReferralWaitlisted(
        referral_id=need.referral_id,
        plan_id=need.plan_id,
        specialism=needed.role,
        local_authority=need.local_authority,
        reason=reason,
        statutory_due=need.statutory_due,
    )


def told_together(need: Need, outcomes: Sequence[Outcome]) -> list[DomainEvent]:
    """The family is told once: several outcomes of one plan become one ``SpecialistsMatched``
    message after them (each outcome, ``told_in_match``, still reaches the timeline)."""
    if len(outcomes) < 2:
        return list(outcomes)
    assert need.plan_id is not None
    told = [o.model_copy(update={"told_in_match": True}) for o in outcomes]
    roles = {
        reason: [
            o.specialism for o in told if isinstance(o, ReferralWaitlisted) and o.reason == reason
        ]
        for reason in ("teams_full", "no_team")
    }
    summary = SpecialistsMatched(
        referral_id=need.referral_id,
        plan_id=need.plan_id,
        local_authority=need.local_authority,
        matched_roles=[o.specialism for o in told if isinstance(o, SpecialistAssigned)],
        waiting_roles=roles["teams_full"],
        no_team_roles=roles["no_team"],
    )
    return [*told, summary]


class NotActive(Exception):
    """The allocation has ended already."""


@dataclass(frozen=True)
class Allocation:
    """An allocation as ending it sees it."""

    id: UUID
    referral_id: UUID
    specialist_id: UUID
    role: str
    local_authority: str
    weight: int
    status: str


def end(allocation: Allocation, reason: EndReason) -> AllocationEnded:
    """The allocation ends (its places are free again); ``NotActive`` if it has ended."""
    if allocation.status != "active":
        raise NotActive(f"allocation {allocation.id} has already ended")
    return AllocationEnded(
        referral_id=allocation.referral_id,
        allocation_id=allocation.id,
        specialist_id=allocation.specialist_id,
        specialism=allocation.role,
        local_authority=allocation.local_authority,
        reason=reason,
    )
