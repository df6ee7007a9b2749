"""Recording the draft and the final EHC plan as statutory steps: one code path for the
caseworker's ``/draft-plan`` and ``/final-plan`` (a plan written elsewhere) and for the plans
service's events (a plan written there), so the clock, its deadlines and warnings stay here."""

from __future__ import annotations

from datetime import date

from referrals import ehc_repository
from referrals.statutory import Deadline, EhcRequest
from shared.db import Connection
from shared.events import DraftPlanIssued, FinalPlanIssued


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
    return event
