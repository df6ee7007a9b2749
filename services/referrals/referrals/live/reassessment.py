"""Re-assessing the needs of a child or young person with a plan in force (SEND Regulations
2014, Regs 24-27). Pure: each step checks the re-assessment's state and returns it as it now
stands, the limits it sets or meets, and its event.

The parent, the young person or the school or college may ask for a re-assessment, or the
council may decide one is needed (Reg 24(1)). The council decides within 15 days of the request
whether to re-assess and tells the family (Reg 24); it may refuse a request made less than 6
months after the last EHC needs assessment unless it thinks a re-assessment necessary (Reg
24(2)): the council's judgement, recorded as its reason, never refused here. A refusal can be
appealed to the SEND Tribunal (s51) within 2 months. After a decision to re-assess, the advice
is sought as for an assessment, and the plan is amended, or a decision not to amend it given,
within 14 weeks of telling the family (Reg 27); either can be appealed within 2 months.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal
from uuid import UUID

from referrals.live.annual_review import APPEAL_MONTHS
from referrals.statutory import InvalidStep, OutOfOrder
from shared.dates import add_months
from shared.events import (
    ReassessmentConcluded,
    ReassessmentDecided,
    ReassessmentRequested,
    Requester,
)

DECISION_DAYS = 15  # Reg 24: the decision within 15 days of the request
PLAN_WEEKS = 14  # Reg 27: the plan finalised within 14 weeks of telling the family


class LivePlanDeadline(enum.StrEnum):
    """The limits of a transfer in and a re-assessment (``shared.events.LivePlanDeadlineKind``)."""

    TRANSFER_DECISION = "transfer_decision"  # Reg 15: 6 weeks from the transfer
    REASSESSMENT_DECISION = "reassessment_decision"  # Reg 24: 15 days from the request
    REASSESSMENT_PLAN = "reassessment_plan"  # Reg 27: 14 weeks from telling the family


class Stage(enum.StrEnum):
    REQUESTED = "requested"
    REFUSED = "refused"
    REASSESSING = "reassessing"
    CONCLUDED = "concluded"


@dataclass(frozen=True)
class Reassessment:
    id: UUID
    referral_id: UUID
    local_authority: str
    requested_on: date
    stage: Stage
    decided_on: date | None = None


Deadlines = dict[LivePlanDeadline, date]


@dataclass(frozen=True)
class Taken:
    reassessment: Reassessment
    event: ReassessmentRequested | ReassessmentDecided | ReassessmentConcluded
    sets: Deadlines
    meets: Deadlines


def decide_by(requested_on: date) -> date:
    return requested_on + timedelta(DECISION_DAYS)


def finalise_by(told_on: date) -> date:
    return told_on + timedelta(weeks=PLAN_WEEKS)


def _not_future(field: str, day: date, today: date) -> None:
    if day > today:
        raise InvalidStep(field, f"must not be in the future (today is {today})")


def request(
    id: UUID,
    referral_id: UUID,
    local_authority: str,
    requested_by: Requester,
    requested_on: date,
    today: date,
) -> Taken:
    """A re-assessment asked for: the decision is due within 15 days."""
    _not_future("requested_on", requested_on, today)
    due = decide_by(requested_on)
    event = ReassessmentRequested(
        referral_id=referral_id,
        local_authority=local_authority,
        reassessment_id=id,
        requested_by=requested_by,
        requested_on=requested_on,
        decide_by=due,
    )
    asked = Reassessment(id, referral_id, local_authority, requested_on, Stage.REQUESTED)
    return Taken(asked, event, {LivePlanDeadline.REASSESSMENT_DECISION: due}, {})


def decide(reassessment: Reassessment, reassess: bool, decided_on: date, today: date) -> Taken:
    """Whether to re-assess, the day the family is told: a re-assessment sets the plan's 14
    weeks; a refusal carries the right to appeal (2 months)."""
    if reassessment.stage != Stage.REQUESTED:
        raise OutOfOrder(f"the re-assessment is {reassessment.stage.value}: decided already")
    _not_future("decided_on", decided_on, today)
    if decided_on < reassessment.requested_on:
        raise InvalidStep("decided_on", "the decision follows the request")
    due = decide_by(reassessment.requested_on)
    by = finalise_by(decided_on) if reassess else None
    event = ReassessmentDecided(
        referral_id=reassessment.referral_id,
        local_authority=reassessment.local_authority,
        reassessment_id=reassessment.id,
        reassess=reassess,
        decided_on=decided_on,
        decide_by=due,
        late=decided_on > due,
        finalise_by=by,
        appeal_by=None if reassess else add_months(decided_on, APPEAL_MONTHS),
    )
    stage = Stage.REASSESSING if reassess else Stage.REFUSED
    decided = replace(reassessment, stage=stage, decided_on=decided_on)
    sets: Deadlines = {} if by is None else {LivePlanDeadline.REASSESSMENT_PLAN: by}
    return Taken(decided, event, sets, {LivePlanDeadline.REASSESSMENT_DECISION: decided_on})


Outcome = Literal["plan_amended", "plan_not_amended"]


def conclude(
    reassessment: Reassessment, outcome: Outcome, concluded_on: date, today: date
) -> Taken:
    """The amended final plan issued, or the decision not to amend it given (Reg 27)."""
    if reassessment.stage != Stage.REASSESSING:
        raise OutOfOrder(
            f"the re-assessment is {reassessment.stage.value}: it concludes after a decision "
            "to re-assess"
        )
    _not_future("concluded_on", concluded_on, today)
    assert reassessment.decided_on is not None
    if concluded_on < reassessment.decided_on:
        raise InvalidStep("concluded_on", "the outcome follows the decision to re-assess")
    by = finalise_by(reassessment.decided_on)
    event = ReassessmentConcluded(
        referral_id=reassessment.referral_id,
        local_authority=reassessment.local_authority,
        reassessment_id=reassessment.id,
        outcome=outcome,
        concluded_on=concluded_on,
        finalise_by=by,
        late=concluded_on > by,
        appeal_by=add_months(concluded_on, APPEAL_MONTHS),
    )
    done = replace(reassessment, stage=Stage.CONCLUDED)
    return Taken(done, event, {}, {LivePlanDeadline.REASSESSMENT_PLAN: concluded_on})
