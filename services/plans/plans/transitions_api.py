"""HTTP routes for a caseworker moving a plan on: share it (support), record the family's
response, issue the draft and finalise it (EHC), mark it reviewed. Steps that do not fit
where the plan stands are a 409 saying why; each step is a new version and its events, taken
by the plan (``plans.lifecycle``) in one unit of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, status

from plans import changes
from plans.document import PlanDocument
from plans.ehc_plan import dated_from
from plans.lifecycle import InvalidDate, Plan, Refused, StepTaken
from plans.requests import Change, Finalise, Issue, Review, TakenResponse
from plans.responses import record_response
from plans.statutory_checks import before_final, before_issue
from plans.views import SupportPlanView, current, if_match
from shared.auth import AUTH_RESPONSES, Role, allow
from shared.dates import london_today
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, AsCaller, CallerWork, invalid

router = APIRouter(
    prefix="/v1/referrals/{referral_id}/plan",
    tags=["plan lifecycle"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES, **NOT_FOUND, **CONFLICT},
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
IfMatch = Annotated[int | None, Depends(if_match)]
Step = Callable[[Plan, PlanDocument, date], StepTaken]
"""A step of the plan's (it may read the document; ``date``: today in England)."""


async def _take(
    caller: CallerWork, referral_id: UUID, expected: int | None, step: Step
) -> SupportPlanView:
    try:
        async with caller.begin() as uow:
            plan, document = await changes.locked(uow.conn, referral_id, expected)
            taken = step(plan, document, london_today())
            stored = taken.document or document
            await changes.store(uow.conn, taken, stored, changed_by=uow.actor.subject)
            uow.add(*taken.events)
            return await current(uow.conn, referral_id, taken.warnings)
    except Refused as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except InvalidDate as exc:
        raise invalid([((exc.field,), str(exc))]) from exc


@router.post("/share", response_model=SupportPlanView)
async def share(
    referral_id: UUID, body: Change, expected: IfMatch, caller: AsCaller
) -> SupportPlanView:
    """Support track: share the plan with the family (they can agree or ask for changes)."""
    return await _take(
        caller, referral_id, body.version or expected, lambda plan, _, today: plan.share(today)
    )


@router.post("/response", response_model=SupportPlanView)
async def record_family_response(
    referral_id: UUID, body: TakenResponse, expected: IfMatch, caller: AsCaller
) -> SupportPlanView:
    """The family's response taken by a caseworker (by phone, in a meeting)."""
    try:
        async with caller.begin() as uow:
            await record_response(
                uow, referral_id, comments=body.comments,
                preferred_school=body.preferred_school, agreed=body.agreed,
                taken_by="caseworker", who=uow.actor.subject,
                expected_version=body.version or expected,
            )  # fmt: skip
            return await current(uow.conn, referral_id)
    except Refused as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc


@router.post("/issue", response_model=SupportPlanView)
async def issue_for_comment(
    referral_id: UUID, body: Issue, expected: IfMatch, caller: AsCaller
) -> SupportPlanView:
    """EHC track: issue the draft plan; the family has 15 days or more to comment. Refused
    (409, each problem named) while the plan is not what the law asks of one
    (``plans.statutory_checks.before_issue``)."""

    def step(plan: Plan, document: PlanDocument, today: date) -> StepTaken:
        if plan.track == "ehc" and plan.status == "draft" and plan.issue_decided:
            _refuse_unless_ready("issuing the draft", before_issue(document))
        return plan.issue_for_comment(today, body.comments_until)

    return await _take(caller, referral_id, body.version or expected, step)


@router.post("/finalise", response_model=SupportPlanView)
async def finalise(
    referral_id: UUID, body: Finalise, expected: IfMatch, caller: AsCaller
) -> SupportPlanView:
    """EHC track: issue the final plan (after the comment window, by the statutory date: a
    late one says why), its outcomes dated from today to its review (or ``phase_ends_on``).
    Refused (409, each problem named) while a section is a placeholder or the plan is not
    what the law asks of one (``plans.statutory_checks.before_final``)."""

    def step(plan: Plan, document: PlanDocument, today: date) -> StepTaken:
        taken = plan.finalise(today, body.late_reason)
        dated = dated_from(document, today, body.phase_ends_on)
        _refuse_unless_ready("finalising", before_final(dated, today))
        return replace(taken, document=dated)

    return await _take(caller, referral_id, body.version or expected, step)


def _refuse_unless_ready(step: str, problems: list[str]) -> None:
    if problems:
        raise Refused(f"{step}: " + "; ".join(problems))


@router.post("/reviewed", response_model=SupportPlanView)
async def mark_reviewed(
    referral_id: UUID, body: Review, expected: IfMatch, caller: AsCaller
) -> SupportPlanView:
    """The plan was reviewed: a new version, and the next review date."""

    def step(plan: Plan, document: PlanDocument, today: date) -> StepTaken:
        return plan.reviewed(today, [o.review_on for o in document.E], body.reason)

    return await _take(caller, referral_id, body.version or expected, step)
