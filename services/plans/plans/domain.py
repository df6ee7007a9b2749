"""Drafting a support plan from a referral, matched against the national standards. Pure.

The draft is a ``PlanDocument`` (one need, one outcome, one provision line from the need's
standard); an EHC-track referral's draft has every section A to K.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID, uuid4

from plans.document import Need, Outcome, PlanDocument, Provision
from plans.standards import NATIONAL_STANDARDS, Standard
from plans.structure import ehc_structure
from shared.events import PlanDrafted, ReferralReceived, Sen2Need, Track

# The sections a first draft fills from the referral and the standards; the rest (A, C, D,
# G-K) need the family's views and professionals' advice.
DRAFTED_SECTIONS = ["B", "E", "F"]
CATALOGUE_VERSION = "national-2026.1"
FIRST_REVIEW = timedelta(weeks=12)
_PER_WEEK = {"daily": 5.0, "3 times a week": 3.0, "fortnightly": 0.5, "half-termly": 1 / 6}


@dataclass(frozen=True)
class SupportPlan:
    id: UUID
    referral_id: UUID
    local_authority: str
    primary_need: Sen2Need
    standard: Standard
    track: Track
    final_plan_due: date | None
    document: PlanDocument


def first_document(referral: ReferralReceived, standard: Standard) -> PlanDocument:
    p = standard.provision
    document = PlanDocument(
        track="support",
        phase=referral.phase,
        catalogue_versions=[CATALOGUE_VERSION],
        B=[
            Need(
                id="need-1",
                code=referral.primary_need,
                area=standard.area_of_need,
                primary=True,
                description=standard.outcome,
            )
        ],
        E=[
            Outcome(
                id="outcome-1",
                need_ids=["need-1"],
                text=standard.outcome,
                measure="reviewed with the family and the school",
                review_on=referral.received_on + FIRST_REVIEW,
                standard_id=f"{referral.primary_need.value}-01",
            )
        ],
        F=[
            Provision(
                id="provision-1",
                outcome_ids=["outcome-1"],
                support=p.what,
                delivered_by=p.who,
                sessions_per_week=_PER_WEEK.get(p.how_often, 1.0),
                minutes_per_session=30,
                weeks=12,
                group_size=1 if p.group_size == "1:1" else 4,
                where="at school",
                standard_id=f"{referral.primary_need.value}-01",
            )
        ],
    )
    return ehc_structure(document) if referral.track == "ehc" else document


def draft_plan(referral: ReferralReceived) -> tuple[SupportPlan, PlanDrafted]:
    """A first draft for the referral, and the event announcing it."""
    standard = NATIONAL_STANDARDS[referral.primary_need]
    plan = SupportPlan(
        id=uuid4(),
        referral_id=referral.referral_id,
        local_authority=referral.local_authority,
        primary_need=referral.primary_need,
        standard=standard,
        track=referral.track,
        final_plan_due=referral.final_plan_due if referral.track == "ehc" else None,
        document=first_document(referral, standard),
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
        track=referral.track,
        statutory_due=plan.final_plan_due,
    )
    return plan, event


def sections_of(plan: SupportPlan) -> dict[str, object]:
    """The draft as stored: the ``PlanDocument`` as JSON."""
    return plan.document.model_dump(mode="json")
