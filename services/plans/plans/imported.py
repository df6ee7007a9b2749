"""Plans for requests and plans a council brought in from its earlier system (issue #22). Pure.

An open request (``OpenRequestImported``) gets the plan a request made here would have had at
the stage its steps left it: the support plan drafted from its needs on the day the council
received it, the advice received listed in section K, the EHC plan drafted from that advice
once the council decided to issue one, issued for comment when the draft went to the family.
Each is the same lifecycle step as here (``plans.lifecycle``), so the next steps, taken here,
follow as for any request. The steps' events are not sent: the family and the services were
told by the earlier system, and the plan is not announced for matching (the child's support
is already arranged there).

A live plan (``LivePlanImported``) is the plan in force: final, issued on its day, its review
due when referrals says, its needs in B. Its other sections stay in the earlier system: they
say so rather than offering the catalogue's lines as a plan the council never made.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from plans.document import PlanDocument
from plans.domain import SupportPlan, draft_plan
from plans.ehc_plan import drafted_from_advice
from plans.lifecycle import Plan, StepTaken
from plans.standards import Catalogue
from plans.structure import with_advice
from shared.events import LivePlanImported, OpenRequestImported, PlanStatus, ReferralReceived

EARLIER_SYSTEM = " (in the council's earlier system)"
IN_EARLIER_SYSTEM = "Held in the council's earlier system: not brought in."
_TEXT_SECTIONS = ("A", "C", "D", "H1", "H2", "I", "J")


def as_referral(imported: OpenRequestImported | LivePlanImported) -> ReferralReceived:
    """The request as a referral made here would have been received (codes and dates), to
    draft from; a live plan's from its issue (its clock's dates are not used)."""
    if isinstance(imported, OpenRequestImported):
        received_on, decision_due, final_plan_due = (
            imported.received_on, imported.decision_due, imported.final_plan_due,
        )  # fmt: skip
        requested_by, district = imported.requested_by, imported.postcode_district
    else:
        received_on = decision_due = final_plan_due = imported.issued_on
        requested_by, district = "earlier_system", ""
    return ReferralReceived(
        referral_id=imported.referral_id,
        local_authority=imported.local_authority,
        received_on=received_on,
        primary_need=imported.needs[0],
        requested_by=requested_by,
        postcode_district=district,
        decision_due=decision_due,
        final_plan_due=final_plan_due,
        track="ehc",
        secondary_needs=imported.needs[1:],
        phase=imported.phase,
        age_years=imported.age_years,
    )


def first_draft(imported: OpenRequestImported, catalogue: Catalogue) -> SupportPlan:
    """The support plan drafted on the day the council received the request, never announced
    (see the module's docstring): kept without the referral it was drafted from, so an edit
    that makes a draft needing attention pass its checks does not announce it either."""
    plan, _ = draft_plan(as_referral(imported), None, catalogue)
    return replace(plan, referral=None)


def state_of(plan: SupportPlan) -> Plan:
    """The lifecycle's view of a plan as ``repository.add_draft`` stores it (version 1)."""
    return Plan(plan.id, plan.referral_id, plan.local_authority, plan.track, plan.status, 1,
                final_plan_due=plan.final_plan_due)  # fmt: skip


def steps_taken(
    plan: Plan, document: PlanDocument, imported: OpenRequestImported
) -> list[tuple[StepTaken, PlanDocument]]:
    """Each step the request's plan took in the earlier system, in the process's order, as a
    step taken here would have been (each a version), with the document it leaves."""
    taken: list[tuple[StepTaken, PlanDocument]] = []
    for advice in imported.advice_received:
        listed = with_advice(document, advice.kind, advice.received_on)
        if listed is None:
            continue
        step = plan.advice_listed()
        taken.append((step, listed))
        plan, document = step.plan, listed
    if imported.plan_decision == "issue" and imported.plan_decided_on is not None:
        drafted = plan.ehc_plan_drafted()
        if drafted is not None:
            expected_issue = plan.final_plan_due or imported.plan_decided_on
            document = drafted_from_advice(document, expected_issue)
            taken.append((drafted, document))
            plan = drafted.plan
    if imported.draft_issued_on is not None and plan.issue_decided:
        issued = plan.issue_for_comment(imported.draft_issued_on, imported.comments_due)
        taken.append((issued, document))
    return [(replace(step, reason=step.reason + EARLIER_SYSTEM), doc) for step, doc in taken]


def plan_in_force(imported: LivePlanImported, catalogue: Catalogue) -> SupportPlan:
    """The live plan's document: its needs described in B, dated from its issue, the setting
    it names in I; every other section held in the earlier system (a placeholder the checks
    before a final plan refuse: ``plans.statutory_checks``)."""
    drafted, _ = draft_plan(as_referral(imported), None, catalogue)
    text = dict.fromkeys(_TEXT_SECTIONS, IN_EARLIER_SYSTEM) | {"I": _setting(imported)}
    document = drafted.document.model_copy(
        update={"track": "ehc", "E": [], "F": [], "G": [], **text}
    )
    return replace(drafted, document=document, final_plan_due=None, referral=None)


def _setting(imported: LivePlanImported) -> str:
    """Section I as the import names the setting (by its URN or UKPRN), if it does."""
    if imported.setting_urn:
        return f"URN {imported.setting_urn}, as named in the council's earlier system."
    if imported.setting_ukprn:
        return f"UKPRN {imported.setting_ukprn}, as named in the council's earlier system."
    return IN_EARLIER_SYSTEM


def in_force(plan: Plan, imported: LivePlanImported, today: date) -> StepTaken:
    """The plan brought in as final, its annual review due when referrals set it; already
    ``review_due`` when that day has come (``today``), as the review scheduler would have
    marked it: marked here, with no event, so the family is not told on the day of the import
    of a review the council's earlier system knew was due (referrals' annual review asks them
    to it)."""
    status: PlanStatus = "review_due" if imported.review_due <= today else "final"
    changed = plan.changed(
        status=status, issue_decided=True, review_due_on=imported.review_due, final_plan_due=None
    )
    return StepTaken(
        changed, [], f"the plan in force, issued on {imported.issued_on}{EARLIER_SYSTEM}"
    )
