"""Amending the plan in force after its annual review (Reg 22), as referrals records the steps
(``referrals.live.amendment``). Pure: each step returns the ``StepTaken`` a unit of work
stores, with the document it leaves (``StepTaken.document``), or None when the step was taken
already (a redelivery, or a replay of the same review's event).

The proposed amendments are a new version, ``amendments_proposed``: the caseworker edits the
sections the review changes, the family sees it and comments until the day referrals set. The
amended plan issued is a new ``final`` version, the plan in force, reviewed again within 12
months of the review meeting. Plans sends nothing for either: referrals' events tell the
family (notifications), and the plan in force was issued by the council, so its quality
checks are kept with the version for the caseworker rather than refusing it. A plan brought in
from the council's earlier system (``plans.imported``) is amended the same way.
"""

from __future__ import annotations

from plans.document import PlanDocument
from plans.ehc_plan import REVIEW_MONTHS, amended_from
from plans.lifecycle import Plan, Refused, StepTaken
from shared.dates import add_months
from shared.events import AmendedPlanIssued, AmendmentsProposed, PlanStatus

AMENDABLE: frozenset[PlanStatus] = frozenset({"final", "review_due", "amendments_proposed"})
"""A plan in force (or one whose amendments are proposed already, by an earlier review)."""


def _expect_in_force(plan: Plan, step: str) -> None:
    if plan.track != "ehc" or plan.status not in AMENDABLE:
        raise Refused(
            f"{step}: the plan is {plan.track}-track and {plan.status}, not an EHC plan in force"
        )


def proposed(plan: Plan, document: PlanDocument, event: AmendmentsProposed) -> StepTaken | None:
    """The amendments proposed at review ``event.review_id``: the plan open to the caseworker's
    edits and the family's comments until ``event.comments_until``; its outcomes measured from
    the review meeting. None when this review's amendments were proposed (or issued) already."""
    if plan.amending_review == event.review_id:
        return None
    _expect_in_force(plan, "proposed amendments")
    changed = plan.changed(
        status="amendments_proposed", comments_until=event.comments_until,
        no_more_comments=False, amending_review=event.review_id,
    )  # fmt: skip
    reviewed = document.model_copy(update={"reviewed_on": event.held_on or event.sent_on})
    why = f"amendments proposed after the annual review, comments until {event.comments_until}"
    return StepTaken(changed, [], why, document=reviewed)


def issued(plan: Plan, document: PlanDocument, event: AmendedPlanIssued) -> StepTaken | None:
    """The amended plan issued: the plan in force (final), its dates from its issue, next
    reviewed within 12 months of the review meeting. None when it is issued already. Its
    proposals need not have come first (they come on another topic): it is issued as the
    plan stands."""
    if plan.amending_review == event.review_id and plan.status != "amendments_proposed":
        return None
    _expect_in_force(plan, "the amended plan")
    held_on = event.held_on or document.reviewed_on or event.issued_on
    next_review = add_months(held_on, REVIEW_MONTHS)
    changed = plan.changed(
        status="final", review_due_on=next_review, amending_review=event.review_id,
        no_more_comments=False,
    )  # fmt: skip
    amended = amended_from(
        document.model_copy(update={"reviewed_on": held_on}), event.issued_on, next_review
    )
    late = f" (late: due by {event.amended_plan_due})" if event.late else ""
    why = f"the amended plan issued on {event.issued_on}{late}"
    return StepTaken(changed, [], why, document=amended)
