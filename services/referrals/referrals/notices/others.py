"""Others the council tells of a step (Regs 4(2), 5(2), 10(2), 13(2), 31(2)): whom, at which
step, from the council's configuration (``COUNCIL_NOTICES``' ``teams``). Pure. Each is a step on the
timeline (``others_notified``) and an event notifications sends on to their mailboxes; never a
message to the family."""

from __future__ import annotations

from typing import Any

from referrals.notices.council import TeamsTold
from shared.events import (
    AssessmentDecided,
    DomainEvent,
    EhcAssessmentRequested,
    FinalPlanIssued,
    OthersNotified,
    PlanCeasingDecided,
    PlanIssueDecided,
    StatutoryStep,
)


def others_to_tell(
    event: DomainEvent, teams: TeamsTold, school_urn: str | None
) -> OthersNotified | None:
    """Whom ``event``'s step is told to, or None (a step the Regulations name no one for, or
    no one with an address). ``school_urn``: the child's school (taken at intake), or for the
    final plan the school it names."""
    if not isinstance(event, StatutoryStep):
        return None
    school = teams.schools.get(school_urn) if school_urn else None
    services: dict[str, Any] = {
        "school_urn": school_urn if school else None,
        "school_email": school,
        "designated_clinical_officer_email": teams.designated_clinical_officer,
        "social_care_email": teams.social_care,
    }
    common = _common(event)
    match event:
        case EhcAssessmentRequested():  # Reg 4(2)
            told = OthersNotified(**common, step="ehc_assessment_requested", **services)
        case AssessmentDecided():  # Reg 5(2)
            told = OthersNotified(
                **common, step="assessment_decided", decision=event.decision, **services
            )
        case PlanIssueDecided(decision="not_issue"):  # Reg 10(2)
            told = OthersNotified(
                **common, step="plan_issue_decided", decision=event.decision, **services
            )
        case FinalPlanIssued():  # Reg 13(2): the named school and the health commissioning body
            told = OthersNotified(
                **common,
                step="final_plan_issued",
                school_urn=services["school_urn"],
                school_email=school,
                health_commissioning_email=teams.health_commissioning,
            )
        case _:
            return None
    return told if told_whom(told) else None


def ceasing_told(
    event: PlanCeasingDecided, teams: TeamsTold, school_urn: str | None, common: dict[str, Any]
) -> OthersNotified | None:
    """A decision to cease the plan goes to the institution the plan names and the health
    commissioning body (Reg 31(2)); a decision not to cease to no one. ``common``: the
    statutory fields of the plan's referral (who asked, the day the request was received)."""
    if event.decision != "cease":
        return None
    school = teams.schools.get(school_urn) if school_urn else None
    told = OthersNotified(
        **common,
        step="plan_ceasing_decided",
        decision=event.decision,
        school_urn=school_urn if school else None,
        school_email=school,
        health_commissioning_email=teams.health_commissioning,
    )
    return told if told_whom(told) else None


def _common(event: StatutoryStep) -> dict[str, Any]:
    """What every statutory step carries, as the step's own event has it."""
    return {name: getattr(event, name) for name in StatutoryStep.model_fields}


def told_whom(event: OthersNotified) -> str:
    """The timeline entry's detail: who was told (roles, and the school's URN), never an
    address."""
    whom = [
        f"school:{event.school_urn}" if event.school_email else "",
        "designated_clinical_officer" if event.designated_clinical_officer_email else "",
        "social_care" if event.social_care_email else "",
        "health_commissioning" if event.health_commissioning_email else "",
    ]
    return ",".join(w for w in whom if w)
