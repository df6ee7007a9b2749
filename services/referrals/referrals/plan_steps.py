"""Recording the draft and the final EHC plan as statutory steps: one code path for the
caseworker's ``/draft-plan`` and ``/final-plan`` (a plan written elsewhere) and for the plans
service's events (a plan written there), so the clock, its deadlines and warnings stay here.
A plans event is idempotent: a step already recorded (by an earlier delivery, or by a
caseworker through those endpoints) is not recorded twice."""

from __future__ import annotations

from datetime import date
from typing import Any

from referrals import ehc_repository, repository
from referrals.domain import StatutoryStep
from referrals.live import review_store
from referrals.live.annual_review import next_review_due
from referrals.statutory import Deadline, EhcRequest, Stage
from shared.dates import london_today
from shared.db import Connection
from shared.events import (
    DraftPlanIssued,
    Envelope,
    FinalPlanIssued,
    PlanFinalised,
    PlanIssuedForComment,
)


async def record_draft(
    conn: Connection, request: EhcRequest, issued_on: date, comments_due: date | None, today: date
) -> DraftPlanIssued:
    changed, event = request.issue_draft(issued_on, comments_due, today)
    await ehc_repository.update(
        conn, changed, draft_issued_on=event.issued_on, comments_due=event.comments_due
    )
    await ehc_repository.meet(conn, request.referral_id, [Deadline.DRAFT_PLAN], event.issued_on)
    return event


async def record_final(
    conn: Connection,
    request: EhcRequest,
    issued_on: date,
    today: date,
    *,
    comments_closed_early: bool = False,
) -> FinalPlanIssued:
    changed, event = request.issue_final(
        issued_on, today, comments_closed_early=comments_closed_early
    )
    await ehc_repository.update(conn, changed, final_issued_on=event.issued_on)
    await ehc_repository.meet(conn, request.referral_id, [Deadline.FINAL_PLAN], event.issued_on)
    # Its first annual review, within 12 months of the issue (Reg 20; referrals.live).
    due = next_review_due(event.issued_on)
    await review_store.schedule(conn, [(request.referral_id, request.local_authority, due)])
    return event


async def draft_issued_in_plans(
    conn: Connection, message: Envelope[PlanIssuedForComment]
) -> list[DraftPlanIssued]:
    """The draft EHC plan the plans service issued: the statutory step draft_plan_issued."""
    issued = message.data
    request = await _request(conn, issued.referral_id)
    if request.stage in (Stage.DRAFT_PLAN_ISSUED, Stage.FINAL_PLAN_ISSUED):
        return []  # recorded already
    today = london_today()
    event = await record_draft(conn, request, issued.issued_on, issued.comments_until, today)
    await _on_timeline(conn, message, StatutoryStep.DRAFT_PLAN_ISSUED)
    return [event]


async def final_issued_in_plans(
    conn: Connection, message: Envelope[PlanFinalised]
) -> list[FinalPlanIssued]:
    """The final EHC plan the plans service issued: the statutory step final_plan_issued."""
    final = message.data
    request = await _request(conn, final.referral_id)
    if request.stage == Stage.FINAL_PLAN_ISSUED:
        return []  # recorded already
    event = await record_final(
        conn, request, final.finalised_on, london_today(),
        comments_closed_early=final.comments_closed_early,
    )  # fmt: skip
    await _on_timeline(conn, message, StatutoryStep.FINAL_PLAN_ISSUED)
    return [event]


async def _request(conn: Connection, referral_id: Any) -> EhcRequest:
    found = await ehc_repository.load(conn, referral_id)
    if found is None:  # never heals: dead-lettered at once
        raise LookupError(f"referral {referral_id} has no EHC request here")
    return found[0]


async def _on_timeline(conn: Connection, message: Envelope[Any], step: StatutoryStep) -> None:
    await repository.add_step(
        conn,
        referral_id=message.data.referral_id,
        event_id=message.id,
        step=step,
        service="plans",
        occurred_at=message.time,
    )
