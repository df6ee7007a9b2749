"""A plan transferred from another council when the child or young person moves into this
council's area (SEND Regulations 2014, Reg 15). Pure.

The new council takes the plan over as it is and must maintain it: it is treated as made by
this council on the day the old council made it. Within 6 weeks of the transfer the council
tells the family that the plan was transferred and whether it will make a new EHC needs
assessment; a new assessment runs as a re-assessment (``referrals.live.reassessment``). The
plan is reviewed within 12 months of its issue or its last review, or within 3 months of the
transfer, whichever is later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from referrals.live.annual_review import next_review_due
from referrals.live.reassessment import finalise_by
from referrals.statutory import InvalidStep, OutOfOrder
from shared.dates import add_months
from shared.events import PlanTransferredIn, TransferredPlanDecided

DECISION_WEEKS = 6  # Reg 15: the family told within 6 weeks of the transfer
REVIEW_MONTHS_AFTER_TRANSFER = 3  # Reg 15: the review no sooner due than 3 months after it


@dataclass(frozen=True)
class Transfer:
    id: UUID
    referral_id: UUID
    local_authority: str
    from_council: str
    transferred_on: date
    review_due: date
    told_on: date | None = None


def review_due(last_review_or_issue: date, transferred_on: date) -> date:
    """The transferred plan's next review: 12 months from its issue or last review, or 3
    months from the transfer, whichever is later."""
    return max(
        next_review_due(last_review_or_issue),
        add_months(transferred_on, REVIEW_MONTHS_AFTER_TRANSFER),
    )


def decide_by(transferred_on: date) -> date:
    return transferred_on + timedelta(weeks=DECISION_WEEKS)


def transfer_in(
    transfer: Transfer, issued_on: date, last_review_or_issue: date, today: date
) -> PlanTransferredIn:
    """The plan taken over: checks its dates against the transfer's."""
    if transfer.from_council == transfer.local_authority:
        raise InvalidStep("from_council", "the old council, not this one")
    if transfer.transferred_on > today:
        raise InvalidStep("transferred_on", f"must not be in the future (today is {today})")
    if transfer.transferred_on < issued_on:
        raise InvalidStep("transferred_on", "a plan is transferred after it was issued")
    if last_review_or_issue > transfer.transferred_on:
        raise InvalidStep("plan.last_reviewed_on", "the old council's review, before the transfer")
    return PlanTransferredIn(
        referral_id=transfer.referral_id,
        local_authority=transfer.local_authority,
        transfer_id=transfer.id,
        from_council=transfer.from_council,
        transferred_on=transfer.transferred_on,
        decide_by=decide_by(transfer.transferred_on),
        review_due=transfer.review_due,
    )


def tell_family(
    transfer: Transfer,
    reassess: bool,
    told_on: date,
    today: date,
    reassessment_id: UUID | None,
) -> TransferredPlanDecided:
    """The family told of the transfer and whether the council will assess again (a new
    assessment: ``reassessment_id``, its 14 weeks from this day)."""
    if transfer.told_on is not None:
        raise OutOfOrder(f"the family was told on {transfer.told_on}")
    if told_on > today:
        raise InvalidStep("told_on", f"must not be in the future (today is {today})")
    if told_on < transfer.transferred_on:
        raise InvalidStep("told_on", "the family is told after the transfer")
    due = decide_by(transfer.transferred_on)
    return TransferredPlanDecided(
        referral_id=transfer.referral_id,
        local_authority=transfer.local_authority,
        transfer_id=transfer.id,
        from_council=transfer.from_council,
        reassess=reassess,
        told_on=told_on,
        decide_by=due,
        late=told_on > due,
        review_due=transfer.review_due,
        reassessment_id=reassessment_id if reassess else None,
        finalise_by=finalise_by(told_on) if reassess else None,
    )
