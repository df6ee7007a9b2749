"""HTTP routes of a plan's annual review (Regs 18-22): the reviews with their deadlines, and
each step a caseworker (or manager) records, in the law's order. Each step is one unit of work:
its event (audited as an update of the review), its deadlines, its timeline entry; a step
POSTed again with its Idempotency-Key gets the first answer.

(Longer than most modules: one short route per step of the review, read best in the law's
order in one file, as ``referrals.ehc_api`` is.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from referrals import repository
from referrals.domain import StatutoryStep
from referrals.ehc_api import StepRetry, one_step
from referrals.live import annual_review, review_store
from referrals.live.annual_review import AnnualReview, Taken
from shared.auth import AUTH_RESPONSES, Role, allow
from shared.dates import london_today
from shared.events import Invitee, ReviewDecision
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, AsCaller
from shared.unit_of_work import UnitOfWork

router = APIRouter(
    prefix="/v1/referrals/{referral_id}",
    tags=["annual review"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES, **NOT_FOUND, **CONFLICT},
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)


class Deadline(BaseModel):
    kind: str = Field(examples=["review_report"])
    due_on: date
    met_on: date | None


class ReviewView(BaseModel):
    id: UUID
    stage: annual_review.Stage
    due_on: date = Field(description="The meeting is due by this day (Reg 20: 12 months)")
    opened_on: date | None
    meeting_on: date | None
    invited_on: date | None
    held_on: date | None
    report_sent_on: date | None
    decision: ReviewDecision | None
    decided_on: date | None
    proposals_sent_on: date | None = Field(default=None, description="Amend: the proposals")
    comments_until: date | None = Field(default=None, description="Amend: the family's comments")
    amended_issued_on: date | None = Field(default=None, description="Amend: the amended plan")
    deadlines: list[Deadline]


class Meeting(BaseModel):
    model_config = ConfigDict(extra="forbid")
    meeting_on: date


class Invitations(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sent_on: date
    invitees: list[Invitee] = Field(min_length=1, examples=[["family", "school", "health"]])


class MeetingHeld(BaseModel):
    model_config = ConfigDict(extra="forbid")
    held_on: date


class Report(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sent_on: date


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: ReviewDecision
    decided_on: date


STEP_OF = {
    annual_review.Stage.MEETING_ARRANGED: StatutoryStep.ANNUAL_REVIEW_MEETING_ARRANGED,
    annual_review.Stage.INVITED: StatutoryStep.ANNUAL_REVIEW_INVITATIONS_SENT,
    annual_review.Stage.MEETING_HELD: StatutoryStep.ANNUAL_REVIEW_MEETING_HELD,
    annual_review.Stage.REPORT_SENT: StatutoryStep.ANNUAL_REVIEW_REPORT_SENT,
    annual_review.Stage.DECIDED: StatutoryStep.ANNUAL_REVIEW_DECIDED,
}


@router.get("/annual-reviews", response_model=list[ReviewView])
async def annual_reviews(referral_id: UUID, caller: AsCaller) -> list[ReviewView]:
    """The plan's annual reviews, the latest first, each with its limits (audited: a read)."""
    async with caller.begin() as uow:
        council = await uow.conn.fetchval(
            "SELECT local_authority FROM referrals WHERE id = $1", referral_id
        )
        if council is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        rows = await review_store.reviews_of(uow.conn, referral_id)
        uow.read("annual-review", referral_id=referral_id, local_authority=council)
    return [ReviewView.model_validate(row) for row in rows]


async def _step(
    referral_id: UUID,
    caller: AsCaller,
    retry: Any,
    body: BaseModel,
    take: Callable[[AnnualReview, date], Taken],
    day: Callable[[Taken], date],
    **more: Callable[[Taken], object],
) -> Any:
    """The review's step in one unit of work (``ehc_api.one_step``: a retry's first answer,
    409 out of order, 422 naming the field); answered with the plan's reviews."""

    async def step(uow: UnitOfWork) -> list[ReviewView]:
        review = await review_store.open_review(uow.conn, referral_id)
        if review is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"no annual review open for referral {referral_id}"
            )
        taken = take(review, london_today())
        extra = {name: value(taken) for name, value in more.items()}
        await review_store.store(uow.conn, taken, day(taken), **extra)
        if taken.review.stage == annual_review.Stage.DECIDED:
            following = getattr(taken.event, "next_review_due", None)
            if following is not None:  # kept or amended: the next year's review
                await review_store.schedule(
                    uow.conn, [(referral_id, review.local_authority, following)]
                )
        uow.add(taken.event)
        await repository.add_step(
            uow.conn,
            referral_id=referral_id,
            event_id=uuid4(),
            step=STEP_OF[taken.review.stage],
            service="referrals",
            occurred_at=await uow.conn.fetchval("SELECT now()"),
            detail=str(review.id),
        )
        return await reviews_now(uow, referral_id)

    return await one_step(caller, retry, body, step)


async def reviews_now(uow: UnitOfWork, referral_id: UUID) -> list[ReviewView]:
    """The plan's reviews as a step leaves them: every step's answer."""
    rows = await review_store.reviews_of(uow.conn, referral_id)
    return [ReviewView.model_validate(row) for row in rows]


@router.post("/annual-review/meeting", response_model=list[ReviewView])
async def arrange_meeting(
    referral_id: UUID, body: Meeting, caller: AsCaller, retry: StepRetry
) -> Any:
    """The review meeting's day (arranged again: its invitations' day moves with it)."""
    return await _step(
        referral_id, caller, retry, body,
        lambda r, today: annual_review.arrange_meeting(r, body.meeting_on, today),
        lambda t: body.meeting_on,
    )  # fmt: skip


@router.post("/annual-review/invitations", response_model=list[ReviewView])
async def send_invitations(
    referral_id: UUID, body: Invitations, caller: AsCaller, retry: StepRetry
) -> Any:
    """The family, the school, health and social care invited and asked for advice (2 weeks
    or more before the meeting); the family is told."""
    return await _step(
        referral_id, caller, retry, body,
        lambda r, today: annual_review.send_invitations(r, body.sent_on, body.invitees, today),
        lambda t: body.sent_on,
        invitees=lambda t: list(body.invitees),
    )  # fmt: skip


@router.post("/annual-review/meeting-held", response_model=list[ReviewView])
async def meeting_held(
    referral_id: UUID, body: MeetingHeld, caller: AsCaller, retry: StepRetry
) -> Any:
    """The meeting was held: the report is due within 2 weeks, the decision within 4."""
    return await _step(
        referral_id, caller, retry, body,
        lambda r, today: annual_review.hold_meeting(r, body.held_on, today),
        lambda t: body.held_on,
    )  # fmt: skip


@router.post("/annual-review/report", response_model=list[ReviewView])
async def report_sent(referral_id: UUID, body: Report, caller: AsCaller, retry: StepRetry) -> Any:
    """The meeting's report went to everyone invited; the family is told."""
    return await _step(
        referral_id, caller, retry, body,
        lambda r, today: annual_review.send_report(r, body.sent_on, today),
        lambda t: body.sent_on,
    )  # fmt: skip


@router.post("/annual-review/decision", response_model=list[ReviewView])
async def decided(referral_id: UUID, body: Decision, caller: AsCaller, retry: StepRetry) -> Any:
    """Keep, amend or cease the plan (within 4 weeks of the meeting); the family is told. Kept
    or amended, the next review is scheduled 12 months from the meeting."""
    return await _step(
        referral_id, caller, retry, body,
        lambda r, today: annual_review.decide(r, body.decision, body.decided_on, today),
        lambda t: body.decided_on,
        decision=lambda t: body.decision,
    )  # fmt: skip
