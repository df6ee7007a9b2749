"""The plans service's EHC plan steps, recorded here as the statutory steps they are (the
draft issued, the final plan issued), through the code ``/draft-plan`` and ``/final-plan``
use, so the statutory clock has one source of truth. Idempotent: a step already recorded (by an
earlier delivery, or by a caseworker through those endpoints) is not recorded twice."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from referrals import ehc_repository, repository
from referrals.domain import StatutoryStep
from referrals.plan_steps import record_draft, record_final
from referrals.statutory import EhcRequest, Stage
from shared.dates import london_today
from shared.events import Envelope, PlanFinalised, PlanIssuedForComment
from shared.subscriptions import Conn, Events


async def _request(conn: Conn, referral_id: UUID) -> EhcRequest:
    found = await ehc_repository.load(conn, referral_id)
    if found is None:  # never heals: dead-lettered at once
        raise LookupError(f"referral {referral_id} has no EHC request here")
    return found[0]


async def _on_timeline(conn: Conn, message: Envelope[Any], step: StatutoryStep) -> None:
    await repository.add_step(
        conn,
        referral_id=message.data.referral_id,
        event_id=message.id,
        step=step,
        service="plans",
        occurred_at=message.time,
    )


async def plan_issued_for_comment(message: Envelope[PlanIssuedForComment], conn: Conn) -> Events:
    """The draft EHC plan the plans service issued: the statutory step draft_plan_issued."""
    issued = message.data
    request = await _request(conn, issued.referral_id)
    if request.stage in (Stage.DRAFT_PLAN_ISSUED, Stage.FINAL_PLAN_ISSUED):
        return []  # recorded already
    today = london_today()
    event = await record_draft(conn, request, issued.issued_on, issued.comments_until, today)
    await _on_timeline(conn, message, StatutoryStep.DRAFT_PLAN_ISSUED)
    return [event]


async def plan_finalised(message: Envelope[PlanFinalised], conn: Conn) -> Events:
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
