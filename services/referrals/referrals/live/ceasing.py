"""Ceasing to maintain an EHC plan (Children and Families Act 2014 s45; SEND Regulations 2014,
Regs 29-31). Pure: each step checks the cessation's stage and returns it as it now stands.

A council may cease a plan only if it is no longer responsible for the child or young person
(s45(1)(a)) or the plan is no longer necessary (s45(1)(b)); under 18, only the second (Reg 29);
a young person of 18 or over who has left education only after a review found they do not wish
to return, or that returning would not be appropriate (Reg 30). Before deciding, the council
informs the family (the parent or the young person) and consults them and the school or
institution the plan names (Reg 31(1)). A decision to cease is notified with the right to
appeal, its time limit and mediation (Reg 31(2)-(3)); the plan is kept until the time to appeal
has passed or any appeal is decided (s45(4)): only then has it ceased.

(Longer than most modules: every step of the one procedure, with its rules, read and tested
together, as the annual review's are in ``referrals.live.annual_review``.)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, timedelta
from uuid import UUID

from referrals.statutory import InvalidStep, OutOfOrder, appeal_date
from shared.events import AppealOutcome, CeaseReason, CeasingDecision

ADULT = 18  # Reg 29: under 18, a plan ceases only when it is no longer necessary


class Stage(enum.StrEnum):
    PROPOSED = "proposed"  # the family informed, they and the school asked for their views
    CONSULTED = "consulted"  # their views (or none by the day set) recorded
    KEPT = "kept"  # decided not to cease: the plan continues, the process ends
    TO_CEASE = "to_cease"  # decided to cease: kept until the time to appeal has passed
    APPEALED = "appealed"  # an appeal lodged: kept until it is decided
    CONTINUES = "continues"  # the appeal upheld: the plan continues
    CEASED = "ceased"  # no appeal in time, or the appeal dismissed


OPEN = frozenset({Stage.PROPOSED, Stage.CONSULTED, Stage.TO_CEASE, Stage.APPEALED})
"""Stages of a cessation under way: a plan has at most one."""


@dataclass(frozen=True)
class Cessation:
    id: UUID
    referral_id: UUID
    local_authority: str
    reason: CeaseReason
    proposed_on: date
    views_by: date
    """The day the family and the school were asked to give their views by."""
    stage: Stage = Stage.PROPOSED
    review_id: UUID | None = None
    consulted_on: date | None = None
    decided_on: date | None = None
    mediation_certificate_on: date | None = None
    appeal_lodged_on: date | None = None
    ceased_on: date | None = None

    @property
    def appeal_by(self) -> date | None:
        """The last day to appeal a decision to cease: 2 months from the notice, or 1 month
        from the mediation certificate, whichever is later."""
        if self.decided_on is None or self.stage not in {
            Stage.TO_CEASE, Stage.APPEALED, Stage.CONTINUES, Stage.CEASED
        }:  # fmt: skip
            return None
        return appeal_date(self.decided_on, self.mediation_certificate_on)


def _not_future(field: str, day: date, today: date) -> None:
    if day > today:
        raise InvalidStep(field, f"must not be in the future (today is {today})")


def _expect(cessation: Cessation, *stages: Stage, step: str) -> None:
    if cessation.stage not in stages:
        wanted = " or ".join(s.value for s in stages)
        raise OutOfOrder(
            f"{step} cannot be recorded: ceasing the plan is {cessation.stage.value}; "
            f"it follows {wanted}"
        )


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def propose(
    *,
    id: UUID,
    referral_id: UUID,
    local_authority: str,
    reason: CeaseReason,
    proposed_on: date,
    views_by: date,
    today: date,
    born: date | None,
    review_id: UUID | None,
) -> Cessation:
    """The council considers ceasing the plan: it informs the family and asks them and the
    named school for their views by ``views_by`` (Reg 31(1)). The ground must be one the law
    allows for the child's age (s45(1), Regs 29-30)."""
    _not_future("proposed_on", proposed_on, today)
    if views_by <= proposed_on:
        raise InvalidStep(
            "views_by", "give the family and the school time: a day after the proposal"
        )
    age = None if born is None else age_on(born, proposed_on)
    if age is not None and age < ADULT and reason != "no_longer_necessary":
        raise InvalidStep(
            "reason",
            "under 18, a plan may be ceased only when it is no longer necessary (Reg 29(1))",
        )
    if reason == "left_education":
        if age is not None and age < ADULT:
            raise InvalidStep("reason", "leaving education is a ground only from 18 (Reg 30)")
        if review_id is None:
            raise InvalidStep(
                "reason",
                "a young person who left education: only after a review found they do not wish "
                "to return (Reg 30(1)); propose it from the review's decision to cease",
            )
    return Cessation(
        id=id,
        referral_id=referral_id,
        local_authority=local_authority,
        reason=reason,
        proposed_on=proposed_on,
        views_by=views_by,
        review_id=review_id,
    )


def consult(
    cessation: Cessation,
    consulted_on: date,
    family_views: str | None,
    school_views: str | None,
    today: date,
) -> Cessation:
    """The consultation recorded (Reg 31(1)(b)-(c)): the family's views and the school's, or
    that none came by the day they were asked to give them by (recorded only once it passed)."""
    _expect(cessation, Stage.PROPOSED, step="the consultation")
    _not_future("consulted_on", consulted_on, today)
    if consulted_on < cessation.proposed_on:
        raise InvalidStep("consulted_on", "the consultation follows the proposal")
    for field, views in (("family_views", family_views), ("school_views", school_views)):
        if not views and consulted_on <= cessation.views_by:
            raise InvalidStep(
                field,
                f"give their views, or record that none came once {cessation.views_by} "
                "(the day they were asked to give them by) has passed",
            )
    return replace(cessation, stage=Stage.CONSULTED, consulted_on=consulted_on)


def decide(
    cessation: Cessation, decision: CeasingDecision, decided_on: date, note: str | None, today: date
) -> Cessation:
    """The decision, with its reasons, after the consultation (Reg 31(2)): to cease (the plan
    kept until the time to appeal has passed or an appeal is decided), or not to cease (the
    plan continues)."""
    if cessation.stage == Stage.PROPOSED:
        raise OutOfOrder(
            "the decision cannot be recorded before the consultation: the family and the "
            "school named in the plan are consulted first (Reg 31(1))"
        )
    _expect(cessation, Stage.CONSULTED, step="the decision")
    _not_future("decided_on", decided_on, today)
    assert cessation.consulted_on is not None
    if decided_on < cessation.consulted_on:
        raise InvalidStep("decided_on", "the decision follows the consultation")
    if not (note or "").strip():
        raise InvalidStep(
            "note", "give the reasons for the decision: the family's letter says them"
        )
    stage = Stage.TO_CEASE if decision == "cease" else Stage.KEPT
    return replace(cessation, stage=stage, decided_on=decided_on)


def record_mediation(cessation: Cessation, certificate_on: date, today: date) -> Cessation:
    """The mediation certificate's day (Reg 32): the appeal date follows it."""
    _expect(cessation, Stage.TO_CEASE, step="mediation")
    _not_future("mediation_certificate_on", certificate_on, today)
    assert cessation.decided_on is not None
    if certificate_on < cessation.decided_on:
        raise InvalidStep("mediation_certificate_on", "mediation follows the decision")
    return replace(cessation, mediation_certificate_on=certificate_on)


def appeal_lodged(cessation: Cessation, lodged_on: date, today: date) -> Cessation:
    """An appeal to the First-tier Tribunal (SEND) within the time to appeal: the plan is kept
    until it is decided (s45(4))."""
    _expect(cessation, Stage.TO_CEASE, step="an appeal")
    _not_future("lodged_on", lodged_on, today)
    assert cessation.decided_on is not None
    assert cessation.appeal_by is not None
    if lodged_on < cessation.decided_on:
        raise InvalidStep("lodged_on", "the appeal follows the decision")
    if lodged_on > cessation.appeal_by:
        raise InvalidStep("lodged_on", f"the time to appeal ended on {cessation.appeal_by}")
    return replace(cessation, stage=Stage.APPEALED, appeal_lodged_on=lodged_on)


def appeal_decided(
    cessation: Cessation, outcome: AppealOutcome, decided_on: date, today: date
) -> Cessation:
    """The Tribunal's decision: upheld, the plan continues; dismissed, it ceases that day."""
    _expect(cessation, Stage.APPEALED, step="the appeal's outcome")
    _not_future("decided_on", decided_on, today)
    assert cessation.appeal_lodged_on is not None
    if decided_on < cessation.appeal_lodged_on:
        raise InvalidStep("decided_on", "the Tribunal decides after the appeal is lodged")
    if outcome == "upheld":
        return replace(cessation, stage=Stage.CONTINUES)
    return replace(cessation, stage=Stage.CEASED, ceased_on=decided_on)


def ceases_on(cessation: Cessation) -> date | None:
    """The day a decision to cease takes effect with no appeal: the day after the time to
    appeal ends (s45(4)(a)); None while an appeal is pending or none was decided."""
    if cessation.stage != Stage.TO_CEASE or cessation.appeal_by is None:
        return None
    return cessation.appeal_by + timedelta(days=1)


def lapse(cessation: Cessation, today: date) -> Cessation | None:
    """The plan ceased, once the time to appeal passed with no appeal; else None."""
    day = ceases_on(cessation)
    if day is None or day > today:
        return None
    return replace(cessation, stage=Stage.CEASED, ceased_on=day)
