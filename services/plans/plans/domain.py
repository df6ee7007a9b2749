"""A referral's support plan: drafted against the standards in force, checked, and announced
only when every check passes. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid5

from plans.checks import CheckResult, check, failed
from plans.document import PlanDocument
from plans.drafting import draft_document, sections_drafted
from plans.standards import Catalogue
from shared.events import (
    PlanDrafted,
    PlanStatus,
    ProvisionAsked,
    ReferralDescribed,
    ReferralReceived,
    Sen2Need,
    Track,
)
from shared.specialisms import Specialism

PLAN_IDS = UUID("6f0f3c8e-4b8a-5d59-9a57-0c1d2e3f4a5b")  # namespace: a plan id per referral
FIRST_ADVISER = Specialism.EDUCATIONAL_PSYCHOLOGY  # the role of a plan whose provision names none


@dataclass(frozen=True)
class SupportPlan:
    id: UUID
    referral_id: UUID
    local_authority: str
    primary_need: Sen2Need
    track: Track
    document: PlanDocument
    checks: list[CheckResult]
    final_plan_due: date | None = None
    """EHC track: the statutory date of the final plan (20 weeks)."""
    referral: ReferralReceived | None = None
    """The event it was drafted from (codes only): a draft that needs attention is announced
    from it once a caseworker's edit makes every check pass."""

    @property
    def status(self) -> PlanStatus:
        """``draft`` when every check passed; ``needs_attention`` (a caseworker's) when not."""
        return "needs_attention" if failed(self.checks) else "draft"

    @property
    def area_of_need(self) -> str:
        return self.document.B[0].area

    @property
    def lead_role(self) -> Specialism:
        return lead_role(self.document)


def lead_role(document: PlanDocument) -> Specialism:
    """The role first named by the plan's provision: the one older consumers match on."""
    roles = document.roles()
    return roles[0] if roles else FIRST_ADVISER


def plan_id_for(referral_id: UUID) -> UUID:
    """The plan's id, derived from the referral's: a redelivered referral drafts the same plan."""
    return uuid5(PLAN_IDS, f"plan:{referral_id}")


def draft_plan(
    referral: ReferralReceived, described: ReferralDescribed | None, catalogue: Catalogue
) -> tuple[SupportPlan, PlanDrafted | None]:
    """The referral's first draft and, when it passes every check, the event announcing it."""
    document = draft_document(referral, described, catalogue)
    plan = SupportPlan(
        id=plan_id_for(referral.referral_id),
        referral_id=referral.referral_id,
        local_authority=referral.local_authority,
        primary_need=referral.primary_need,
        track=referral.track,
        document=document,
        checks=check(document),
        final_plan_due=referral.final_plan_due if referral.track == "ehc" else None,
        referral=referral,
    )
    if plan.status != "draft":
        return plan, None
    return plan, drafted_event(referral, plan.id, document)


def drafted_event(referral: ReferralReceived, plan_id: UUID, document: PlanDocument) -> PlanDrafted:
    """The announcement of a plan that passes every check: what specialists match on."""
    roles = document.roles()  # the lead role is the first (``lead_role``), read once here
    return PlanDrafted(
        referral_id=referral.referral_id,
        plan_id=plan_id,
        local_authority=referral.local_authority,
        primary_need=referral.primary_need,
        area_of_need=document.B[0].area if document.B else "",
        required_specialism=(roles[0] if roles else FIRST_ADVISER).value,
        postcode_district=referral.postcode_district,
        sections=sections_drafted(document),
        provision_roles=roles,
        provision=provision_asked(document),
        track=referral.track,
        secondary_needs=referral.secondary_needs,
        phase=referral.phase,
        school_urn=referral.school_urn,
        language=referral.language,
        statutory_due=referral.final_plan_due if referral.track == "ehc" else None,
    )


def provision_asked(document: PlanDocument) -> list[ProvisionAsked]:
    """The plan's provision lines a specialist role delivers, for the practitioners allocated
    (F, then G, as ``roles`` orders them); a line no specialist delivers stays in plans."""
    return [
        ProvisionAsked(
            id=line.id,
            section=section,
            role=line.role,
            support=line.support,
            sessions_per_week=line.sessions_per_week,
            minutes_per_session=line.minutes_per_session,
            weeks=line.weeks,
            group_size=line.group_size,
            where=line.where,
        )
        for section, lines in (("F", document.F), ("G", document.G))
        for line in lines
        if line.role is not None
    ]
