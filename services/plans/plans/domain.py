"""Drafting a support plan from a referral, matched against the national standards. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from plans.standards import NATIONAL_STANDARDS, Standard
from shared.events import PlanDrafted, ReferralReceived, Sen2Need

# The sections a first draft fills from the referral and the standards; the rest (A, C, D,
# G-K) need the family's views and professionals' advice.
DRAFTED_SECTIONS = ["B", "E", "F"]


@dataclass(frozen=True)
class SupportPlan:
    id: UUID
    referral_id: UUID
    local_authority: str
    primary_need: Sen2Need
    standard: Standard


def draft_plan(referral: ReferralReceived) -> tuple[SupportPlan, PlanDrafted]:
    """A first draft for the referral, and the event announcing it."""
    standard = NATIONAL_STANDARDS[referral.primary_need]
    plan = SupportPlan(
        id=uuid4(),
        referral_id=referral.referral_id,
        local_authority=referral.local_authority,
        primary_need=referral.primary_need,
        standard=standard,
    )
    event = PlanDrafted(
        referral_id=referral.referral_id,
        plan_id=plan.id,
        local_authority=referral.local_authority,
        primary_need=referral.primary_need,
        area_of_need=standard.area_of_need,
        required_specialism=standard.specialism,
        postcode_district=referral.postcode_district,
        sections=DRAFTED_SECTIONS,
    )
    return plan, event


def sections_of(plan: SupportPlan) -> dict[str, object]:
    """The drafted sections as stored: B needs, E outcomes, F provision."""
    p = plan.standard.provision
    return {
        "B": {"primary_need": plan.primary_need.value, "area_of_need": plan.standard.area_of_need},
        "E": [{"outcome": plan.standard.outcome}],
        "F": [
            {
                "who": p.who,
                "what": p.what,
                "how_often": p.how_often,
                "how_long": p.how_long,
                "group_size": p.group_size,
            }
        ],
    }
