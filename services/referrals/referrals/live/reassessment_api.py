"""HTTP routes of a re-assessment of a plan in force (Regs 24-27): the request, the council's
decision (within 15 days; the family told), and its outcome (the amended plan or a decision
not to amend it, within 14 weeks of telling the family). Each step is one unit of work
(``ehc_api.one_step``: a retry's first answer, 409 out of order, 422 naming the field): its
event, its limits, its timeline entry, and the decision's letter to the family (printed first,
``LetterDesk.write_first``); answered with the plan's re-assessments.

(Longer than most modules: the three steps share one way of being taken and lettered, read
together with the bodies that say when reasons are needed.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from functools import partial
from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from referrals import repository
from referrals.domain import StatutoryStep
from referrals.ehc_api import StepRetry, one_step
from referrals.live import (
    reassessment,
    reassessment_advice,
    reassessment_advice_store,
    reassessment_store,
)
from referrals.live.reassessment import Outcome, Reassessment, Stage, Taken
from referrals.notices.issuing import LetterDesk, Letters
from referrals.statutory import OutOfOrder
from shared.auth import AUTH_RESPONSES, Role, allow
from shared.dates import london_today
from shared.events import DomainEvent, ReassessmentConcluded, Requester
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, AsCaller
from shared.unit_of_work import UnitOfWork

router = APIRouter(
    prefix="/v1/referrals/{referral_id}",
    tags=["re-assessment"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES, **NOT_FOUND, **CONFLICT},
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)


class Deadline(BaseModel):
    kind: str = Field(examples=["reassessment_decision"])
    due_on: date
    met_on: date | None


class ReassessmentView(BaseModel):
    id: UUID
    requested_by: Requester
    requested_on: date
    stage: Stage
    decided_on: date | None = Field(description="The day the family was told the decision")
    concluded_on: date | None
    outcome: Outcome | None
    deadlines: list[Deadline]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")
    requested_by: Requester
    requested_on: date


NOTE = Field(
    default=None,
    validate_default=True,
    max_length=4000,
    description="The reasons, in the caseworker's words: the family's letter gives them. "
    "Needed for a decision the family can appeal (a refusal to re-assess, a decision not "
    "to amend the plan)",
)


def _with_reasons(note: str | None, needed: bool) -> str | None:
    """The note, stripped; a decision the family can appeal needs its reasons."""
    said = (note or "").strip() or None
    if needed and said is None:
        raise ValueError("give the reasons: the family's letter says them, and they may appeal")
    return said


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reassess: bool
    decided_on: date = Field(description="The day the family is told")
    note: str | None = NOTE

    @field_validator("note")
    @classmethod
    def _reasons(cls, note: str | None, info: ValidationInfo) -> str | None:
        return _with_reasons(note, info.data.get("reassess") is False)


class Conclusion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Outcome
    concluded_on: date
    note: str | None = NOTE

    @field_validator("note")
    @classmethod
    def _reasons(cls, note: str | None, info: ValidationInfo) -> str | None:
        return _with_reasons(note, info.data.get("outcome") == "plan_not_amended")


STEP_OF = {
    Stage.REQUESTED: StatutoryStep.REASSESSMENT_REQUESTED,
    Stage.REASSESSING: StatutoryStep.REASSESSMENT_DECIDED,
    Stage.REFUSED: StatutoryStep.REASSESSMENT_DECIDED,
    Stage.CONCLUDED: StatutoryStep.REASSESSMENT_CONCLUDED,
}


async def _known(uow: UnitOfWork, referral_id: UUID) -> None:
    """404 for a referral unknown (or another council's); 409 for one with no plan in force."""
    found = await reassessment_store.has_plan(uow.conn, referral_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
    if not found:
        raise OutOfOrder("no plan in force: a re-assessment is of an EHC plan")


async def record(uow: UnitOfWork, taken: Taken, requested_by: str | None = None) -> None:
    """A step's row, limits, event and timeline entry (also a transfer's new assessment)."""
    await reassessment_store.store(uow.conn, taken, requested_by)
    done = taken.event
    if isinstance(done, ReassessmentConcluded) and done.outcome == "plan_amended":
        await reassessment_store.review_after(uow.conn, taken.reassessment, done.concluded_on)
    uow.add(taken.event)
    await repository.add_step(
        uow.conn, referral_id=taken.reassessment.referral_id, event_id=uuid4(),
        step=STEP_OF[taken.reassessment.stage], service="referrals",
        occurred_at=await uow.conn.fetchval("SELECT now()"), detail=str(taken.reassessment.id),
    )  # fmt: skip


async def reassessments_now(uow: UnitOfWork, referral_id: UUID) -> list[ReassessmentView]:
    rows = await reassessment_store.reassessments_of(uow.conn, referral_id)
    return [ReassessmentView.model_validate(row) for row in rows]


@router.get("/reassessments", response_model=list[ReassessmentView])
async def reassessments_of_plan(referral_id: UUID, caller: AsCaller) -> list[ReassessmentView]:
    """The plan's re-assessments, the latest first, each with its limits (audited: a read)."""
    async with caller.begin() as uow:
        council = await uow.conn.fetchval(
            "SELECT local_authority FROM referrals WHERE id = $1", referral_id
        )
        if council is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        uow.read("reassessment", referral_id=referral_id, local_authority=council)
        return await reassessments_now(uow, referral_id)


@router.post("/reassessment/request", response_model=list[ReassessmentView])
async def reassessment_requested(
    referral_id: UUID, body: Request, caller: AsCaller, retry: StepRetry
) -> Any:
    """A re-assessment asked for by the parent, the young person or the school or college
    (or the council's own): the decision is due within 15 days."""

    async def step(uow: UnitOfWork) -> list[ReassessmentView]:
        await _known(uow, referral_id)
        if await reassessment_store.open_reassessment(uow.conn, referral_id) is not None:
            raise OutOfOrder("a re-assessment is under way: it must end before another starts")
        council = await uow.conn.fetchval(
            "SELECT local_authority FROM referrals WHERE id = $1", referral_id
        )
        taken = reassessment.request(
            uuid4(), referral_id, council, body.requested_by, body.requested_on, london_today()
        )
        await record(uow, taken, body.requested_by)
        return await reassessments_now(uow, referral_id)

    return await one_step(caller, retry, body, step)


async def _step(
    referral_id: UUID,
    caller: AsCaller,
    retry: Any,
    body: Decision | Conclusion,
    take: Callable[[Reassessment, date], Taken],
    letters: LetterDesk,
    ready: Callable[[UnitOfWork, Reassessment], Awaitable[None]] | None = None,
) -> Any:
    """A step of the re-assessment under way in one unit of work, with the family's letter
    printed and stored first, with no lock held (``LetterDesk.write_first``), then kept with
    the step; its bytes go if the step fails. ``ready``: what else must be so first."""

    async def taken(uow: UnitOfWork) -> Taken:
        await _known(uow, referral_id)
        found = await reassessment_store.open_reassessment(uow.conn, referral_id)
        if found is None:
            raise OutOfOrder("no re-assessment under way: record its request first")
        if ready is not None:
            await ready(uow, found)
        return take(found, london_today())

    async def decide(uow: UnitOfWork) -> DomainEvent:
        return (await taken(uow)).event

    async def step(uow: UnitOfWork) -> list[ReassessmentView]:
        done = await taken(uow)
        await letters.keep(uow.conn, done.event, body.note, caller.actor.subject)
        await record(uow, done)
        return await reassessments_now(uow, referral_id)

    try:
        await letters.write_first(caller.begin, decide, body.note)
        answer = await one_step(caller, retry, body, step)
    except BaseException:
        await letters.forget()
        raise
    await letters.done()
    return answer


@router.post("/reassessment/decision", response_model=list[ReassessmentView])
async def reassessment_decided(
    referral_id: UUID, body: Decision, caller: AsCaller, retry: StepRetry, letters: Letters
) -> Any:
    """Whether the council will re-assess, the day the family is told (within 15 days of the
    request), with the family's letter. A refusal can be appealed (2 months): its letter gives
    the reasons (``note``) and the right to appeal; a re-assessment has 14 weeks."""
    return await _step(
        referral_id, caller, retry, body,
        lambda r, today: reassessment.decide(r, body.reassess, body.decided_on, today),
        letters,
    )  # fmt: skip


@router.post("/reassessment/outcome", response_model=list[ReassessmentView])
async def reassessment_concluded(
    referral_id: UUID, body: Conclusion, caller: AsCaller, retry: StepRetry, letters: Letters
) -> Any:
    """The amended final plan issued, or the decision not to amend it (within 14 weeks of
    telling the family of the re-assessment); either can be appealed (2 months): the family's
    letter gives the right to appeal (and a decision not to amend, its reasons: ``note``)."""
    return await _step(
        referral_id, caller, retry, body,
        lambda r, today: reassessment.conclude(r, body.outcome, body.concluded_on, today),
        letters, partial(advice_sought, on=body.concluded_on),
    )  # fmt: skip


async def advice_sought(uow: UnitOfWork, found: Reassessment, *, on: date) -> None:
    """The outcome waits for the advice the law requires to be asked for (Regs 6, 25), as the
    assessment's decision whether to issue a plan does: 409 naming what is missing."""
    if found.stage != Stage.REASSESSING:
        return  # out of order: the outcome's own check says so
    needs, born = await reassessment_advice_store.child_of(uow.conn, found.referral_id)
    asked = await reassessment_advice_store.limits_of(uow.conn, found.id)
    missing = reassessment_advice.missing(needs, born, on, asked)
    if missing:
        raise OutOfOrder(
            f"advice the law requires has not been asked for in this re-assessment: {missing}"
        )
