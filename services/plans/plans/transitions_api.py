"""HTTP routes for a caseworker moving a plan on: share it (support), record the family's
response, issue the draft and finalise it (EHC), mark it reviewed. Steps that do not fit
where the plan stands are a 409 saying why; each step is a new version and its events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, status

from plans import changes
from plans.document import PlanDocument
from plans.lifecycle import InvalidDate, Plan, Refused, next_review
from plans.requests import Change, Finalise, Issue, Review, TakenResponse
from plans.responses import record_response
from plans.views import SupportPlanView, current, if_match
from shared.audit import Audit
from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Role, allow
from shared.db import Connection
from shared.events import (
    DomainEvent,
    PlanFinalised,
    PlanIssuedForComment,
    PlanRevised,
    PlanShared,
)
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, DbConnection, ServiceOutbox
from shared.outbox import Outbox

router = APIRouter(
    prefix="/v1/referrals/{referral_id}/plan",
    tags=["plan lifecycle"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES, **NOT_FOUND, **CONFLICT},
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
IfMatch = Annotated[int | None, Depends(if_match)]
Taken = tuple[Plan, list[DomainEvent], str, list[str]]
"""The plan changed, the events it caused, why (kept with the version), warnings."""
Step = Callable[[Plan, PlanDocument, date], Taken]


async def _take(
    conn: Connection, outbox: Outbox, audit: Audit, who: str, referral_id: UUID,
    expected: int | None, step: Step,
) -> SupportPlanView:  # fmt: skip
    try:
        async with conn.transaction():
            plan, document = await changes.locked(conn, referral_id, expected)
            changed, events, reason, warnings = step(plan, document, changes.london_today())
            await changes.store(conn, changed, document, changed_by=who, reason=reason)
            await outbox.add(conn, events, local_authority=plan.local_authority)
            await audit.record(
                conn, "update", "plan", referral_id=referral_id,
                local_authority=plan.local_authority,
            )  # fmt: skip
            return await current(conn, referral_id, warnings)
    except Refused as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except InvalidDate as exc:
        raise changes.invalid([((exc.field,), str(exc))]) from exc


@router.post("/share", response_model=SupportPlanView)
async def share(
    referral_id: UUID, body: Change, expected: IfMatch, conn: DbConnection,
    outbox: ServiceOutbox, audit: Audit, principal: CurrentPrincipal,
) -> SupportPlanView:  # fmt: skip
    """Support track: share the plan with the family (they can agree or ask for changes)."""

    def step(plan: Plan, _: PlanDocument, today: date) -> Taken:
        changed = plan.share()
        return (
            changed,
            [PlanShared(**changed.step(), shared_on=today)],
            "shared with the family",
            [],
        )

    return await _take(
        conn, outbox, audit, principal.subject, referral_id, body.version or expected, step
    )


@router.post("/response", response_model=SupportPlanView)
async def record_family_response(
    referral_id: UUID, body: TakenResponse, expected: IfMatch, conn: DbConnection,
    outbox: ServiceOutbox, audit: Audit, principal: CurrentPrincipal,
) -> SupportPlanView:  # fmt: skip
    """The family's response taken by a caseworker (by phone, in a meeting)."""
    try:
        async with conn.transaction():
            recorded = await record_response(
                conn, outbox, referral_id, comments=body.comments,
                preferred_school=body.preferred_school, agreed=body.agreed,
                taken_by="caseworker", who=principal.subject,
                expected_version=body.version or expected,
            )  # fmt: skip
            await audit.record(
                conn, "update", "plan-comments", referral_id=referral_id,
                local_authority=recorded.plan.local_authority,
            )  # fmt: skip
            return await current(conn, referral_id)
    except Refused as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc


@router.post("/issue", response_model=SupportPlanView)
async def issue_for_comment(
    referral_id: UUID, body: Issue, expected: IfMatch, conn: DbConnection,
    outbox: ServiceOutbox, audit: Audit, principal: CurrentPrincipal,
) -> SupportPlanView:  # fmt: skip
    """EHC track: issue the draft plan; the family has 15 days or more to comment."""

    def step(plan: Plan, _: PlanDocument, today: date) -> Taken:
        changed = plan.issue_for_comment(today, body.comments_until)
        assert changed.comments_until is not None
        event = PlanIssuedForComment(
            **changed.step(), issued_on=today, comments_until=changed.comments_until,
            final_plan_due=changed.final_plan_due,
        )  # fmt: skip
        return changed, [event], "draft issued for the family's comments", []

    return await _take(
        conn, outbox, audit, principal.subject, referral_id, body.version or expected, step
    )


@router.post("/finalise", response_model=SupportPlanView)
async def finalise(
    referral_id: UUID, body: Finalise, expected: IfMatch, conn: DbConnection,
    outbox: ServiceOutbox, audit: Audit, principal: CurrentPrincipal,
) -> SupportPlanView:  # fmt: skip
    """EHC track: issue the final plan (after the comment window, by the statutory date: a
    late one says why)."""

    def step(plan: Plan, _: PlanDocument, today: date) -> Taken:
        changed, warnings = plan.finalise(today, body.late_reason)
        assert changed.review_due_on is not None
        assert plan.comments_until is not None
        event = PlanFinalised(
            **changed.step(), finalised_on=today, final_plan_due=plan.final_plan_due,
            comments_closed_early=today < plan.comments_until, late=plan.late(today),
            review_due=changed.review_due_on,
        )  # fmt: skip
        reason = f"finalised late: {body.late_reason}" if plan.late(today) else "finalised"
        return changed, [event], reason, warnings

    return await _take(
        conn, outbox, audit, principal.subject, referral_id, body.version or expected, step
    )


@router.post("/reviewed", response_model=SupportPlanView)
async def mark_reviewed(
    referral_id: UUID, body: Review, expected: IfMatch, conn: DbConnection,
    outbox: ServiceOutbox, audit: Audit, principal: CurrentPrincipal,
) -> SupportPlanView:  # fmt: skip
    """The plan was reviewed: a new version, and the next review date."""

    def step(plan: Plan, document: PlanDocument, today: date) -> Taken:
        reviews = [o.review_on for o in document.E]
        changed = plan.reviewed(next_review(plan.track, reviews, today))
        event = PlanRevised(
            **changed.step(), reason="reviewed", sections=[], status=changed.status,
            review_due=changed.review_due_on,
        )  # fmt: skip
        return changed, [event], f"reviewed: {body.reason}", []

    return await _take(
        conn, outbox, audit, principal.subject, referral_id, body.version or expected, step
    )
