"""Matching a drafted plan to a specialist. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from shared.events import PlanDrafted, ReferralWaitlisted, SpecialistAssigned


@dataclass(frozen=True)
class Specialist:
    id: UUID
    specialism: str
    local_authority: str
    districts: tuple[str, ...]
    capacity: int
    active_allocations: int

    @property
    def free_places(self) -> int:
        return self.capacity - self.active_allocations


def choose_specialist(candidates: list[Specialist], plan: PlanDrafted) -> Specialist | None:
    """Closest first: one who works in the child's district, then anyone in the council's
    area; among equals the one with most free places (spreads the load). None when all full."""
    fitting = [
        s
        for s in candidates
        if s.specialism == plan.required_specialism
        and s.local_authority == plan.local_authority
        and s.free_places > 0
    ]
    if not fitting:
        return None
    return max(
        fitting,
        key=lambda s: (plan.postcode_district in s.districts, s.free_places, str(s.id)),
    )


def allocate(
    candidates: list[Specialist], plan: PlanDrafted
) -> SpecialistAssigned | ReferralWaitlisted:
    """The outcome for a drafted plan: an allocation, or a place on the waitlist."""
    chosen = choose_specialist(candidates, plan)
    if chosen is None:
        return ReferralWaitlisted(
            referral_id=plan.referral_id,
            plan_id=plan.plan_id,
            specialism=plan.required_specialism,
            local_authority=plan.local_authority,
        )
    return SpecialistAssigned(
        referral_id=plan.referral_id,
        allocation_id=uuid4(),
        specialist_id=chosen.id,
        plan_id=plan.plan_id,
        specialism=chosen.specialism,
        local_authority=plan.local_authority,
        same_district=plan.postcode_district in chosen.districts,
    )
