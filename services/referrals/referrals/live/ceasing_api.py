"""HTTP routes of ceasing a plan (s45, Regs 29-31), each step a caseworker (or manager)
records in the law's order: the proposal (the family informed, they and the named school asked
for their views), the consultation, the decision with its reasons (a decision to cease writes
the family's letter with the right to appeal and tells the named school and the health
commissioning body), mediation, an appeal and its outcome. Each step is one unit of work
(``ehc_api.one_step``: a retry's first answer, 409 out of order, 422 naming the field),
answered with the plan's cessations.

(Longer than most modules: one short route per step of the procedure, read best in the law's
order in one file, as ``referrals.live.review_api`` is.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from referrals import repository
from referrals.domain import StatutoryStep
from referrals.ehc_api import StepRetry, one_step
from referrals.live import ceasing, cessation_store
from referrals.live.ceasing import Cessation, Stage
from referrals.live.cessation_watch import plan_ceased
from referrals.notices.issuing import LetterDesk, Letters
from referrals.notices.telling import others_told_of_ceasing
from referrals.statutory import OutOfOrder
from shared.auth import AUTH_RESPONSES, Role, allow
from shared.dates import london_today
from shared.events import (
    AppealOutcome,
    CeaseReason,
    CeasingAppealDecided,
    CeasingAppealLodged,
    CeasingDecision,
    DomainEvent,
    PlanCeasingConsulted,
    PlanCeasingDecided,
    PlanCeasingProposed,
)
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, AsCaller
from shared.unit_of_work import UnitOfWork

router = APIRouter(
    prefix="/v1/referrals/{referral_id}",
    tags=["ceasing a plan"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES, **NOT_FOUND, **CONFLICT},
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)


class CessationView(BaseModel):
    id: UUID
    stage: Stage
    reason: CeaseReason
    review_id: UUID | None = Field(description="The annual review that proposed it, if any")
    proposed_on: date
    views_by: date = Field(description="The family and the school were asked for views by")
    consulted_on: date | None
    family_views: str | None
    school_views: str | None
    decision: CeasingDecision | None
    decided_on: date | None
    decision_note: str | None
    mediation_certificate_on: date | None
    appeal_by: date | None = Field(
        description="2 months from the decision, or 1 month from the mediation certificate"
    )
    appeal_lodged_on: date | None
    appeal_outcome: AppealOutcome | None
    appeal_decided_on: date | None
    ceased_on: date | None = Field(description="The day the plan ceased (no longer maintained)")


class Proposal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: CeaseReason = Field(description="The ground (s45(1), Regs 29-30)")
    proposed_on: date = Field(description="The day the family was told the council considers it")
    views_by: date = Field(description="The day the family and the school are asked to reply by")


class Consultation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    consulted_on: date
    family_views: str | None = Field(
        default=None, max_length=4000, description="Left out: none came by views_by"
    )
    school_views: str | None = Field(
        default=None, max_length=4000, description="Left out: none came by views_by"
    )


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: CeasingDecision
    decided_on: date
    note: str = Field(
        max_length=4000, description="The reasons, in the caseworker's words: the letter says them"
    )


class Mediation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mediation_certificate_on: date


class Appeal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lodged_on: date


class AppealDecided(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: AppealOutcome
    decided_on: date


@router.get("/ceasing", response_model=list[CessationView])
async def plan_cessations(referral_id: UUID, caller: AsCaller) -> list[CessationView]:
    """Every proposal to cease the plan, the latest first (audited: a read)."""
    async with caller.begin() as uow:
        council = await uow.conn.fetchval(
            "SELECT local_authority FROM referrals WHERE id = $1", referral_id
        )
        if council is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        rows = await cessation_store.cessations_of(uow.conn, referral_id)
        uow.read("plan-cessation", referral_id=referral_id, local_authority=council)
    return [CessationView.model_validate(row) for row in rows]


async def _now(uow: UnitOfWork, referral_id: UUID) -> list[CessationView]:
    rows = await cessation_store.cessations_of(uow.conn, referral_id)
    return [CessationView.model_validate(row) for row in rows]


async def _timeline(uow: UnitOfWork, referral_id: UUID, step: StatutoryStep, detail: str) -> None:
    await repository.add_step(
        uow.conn, referral_id=referral_id, event_id=uuid4(), step=step, service="referrals",
        occurred_at=await uow.conn.fetchval("SELECT now()"), detail=detail,
    )  # fmt: skip


def _common(c: Cessation) -> dict[str, Any]:
    return {
        "referral_id": c.referral_id,
        "local_authority": c.local_authority,
        "cessation_id": c.id,
    }


@router.post("/ceasing/proposal", response_model=list[CessationView])
async def propose_ceasing(
    referral_id: UUID, body: Proposal, caller: AsCaller, retry: StepRetry
) -> Any:
    """The council is considering ceasing the plan: the family is told and asked for their
    views, as is the school named in the plan, by ``views_by`` (Reg 31(1)). From a review's
    decision to cease, or on its own."""

    async def step(uow: UnitOfWork) -> list[CessationView]:
        plan = await cessation_store.plan_in_force(uow.conn, referral_id)
        if plan is None:
            known = await uow.conn.fetchval("SELECT true FROM referrals WHERE id = $1", referral_id)
            if not known:  # unknown, or another council's: the same answer
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
            raise OutOfOrder("no EHC plan in force to cease (none issued, or it has ceased)")
        if await cessation_store.under_way(uow.conn, referral_id) is not None:
            raise OutOfOrder("ceasing the plan is already under way")
        proposed = ceasing.propose(
            id=uuid4(), referral_id=referral_id, local_authority=plan.local_authority,
            reason=body.reason, proposed_on=body.proposed_on, views_by=body.views_by,
            today=london_today(), born=plan.born, review_id=plan.review_id,
        )  # fmt: skip
        await cessation_store.add(uow.conn, proposed)
        uow.add(
            PlanCeasingProposed(
                **_common(proposed), reason=proposed.reason, proposed_on=proposed.proposed_on,
                views_by=proposed.views_by, review_id=proposed.review_id,
            )
        )  # fmt: skip
        await _timeline(uow, referral_id, StatutoryStep.CEASING_PROPOSED, str(proposed.id))
        return await _now(uow, referral_id)

    return await one_step(caller, retry, body, step)


Take = Callable[[UnitOfWork, Cessation], Any]


async def _under_way(uow: UnitOfWork, referral_id: UUID) -> Cessation:
    """The cessation under way, locked; 404 for an unknown referral, 409 when none is."""
    found = await cessation_store.under_way(uow.conn, referral_id)
    if found is None:
        known = await uow.conn.fetchval("SELECT true FROM referrals WHERE id = $1", referral_id)
        if not known:  # unknown, or another council's: the same answer
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        raise OutOfOrder("ceasing the plan is not under way: propose it first")
    return found


async def _step(
    referral_id: UUID,
    caller: AsCaller,
    retry: Any,
    body: BaseModel,
    take: Take,
    letters: LetterDesk | None = None,
    decide: Callable[[UnitOfWork], Awaitable[DomainEvent]] | None = None,
    note: str | None = None,
) -> Any:
    """A step of the cessation under way in one unit of work. A decision to cease
    (``letters``, ``decide``) has the family's letter printed and stored first, with no lock
    held (``LetterDesk.write_first``), then kept with the step; its bytes go if it fails."""

    async def step(uow: UnitOfWork) -> list[CessationView]:
        await take(uow, await _under_way(uow, referral_id))
        return await _now(uow, referral_id)

    try:
        if letters is not None and decide is not None:
            await letters.write_first(caller.begin, decide, note)
        answer = await one_step(caller, retry, body, step)
    except BaseException:
        if letters is not None:
            await letters.forget()
        raise
    if letters is not None:
        await letters.done()
    return answer


@router.post("/ceasing/consultation", response_model=list[CessationView])
async def ceasing_consulted(
    referral_id: UUID, body: Consultation, caller: AsCaller, retry: StepRetry
) -> Any:
    """The family's and the named school's views (Reg 31(1)(b)-(c)), or that none came by the
    day they were asked to reply by (recorded once it has passed)."""

    async def take(uow: UnitOfWork, found: Cessation) -> None:
        family, school = (body.family_views or "").strip(), (body.school_views or "").strip()
        done = ceasing.consult(found, body.consulted_on, family, school, london_today())
        await cessation_store.save(
            uow.conn, done, family_views=family or None, school_views=school or None
        )
        uow.add(
            PlanCeasingConsulted(
                **_common(done), consulted_on=body.consulted_on,
                family_views_given=bool(family), school_views_given=bool(school),
            )
        )  # fmt: skip
        await _timeline(uow, referral_id, StatutoryStep.CEASING_CONSULTED, str(done.id))

    return await _step(referral_id, caller, retry, body, take)


@router.post("/ceasing/decision", response_model=list[CessationView])
async def ceasing_decided(
    referral_id: UUID, body: Decision, caller: AsCaller, retry: StepRetry, letters: Letters
) -> Any:
    """The decision with its reasons, once the consultation is recorded (Reg 31(2)). To cease:
    the family's letter with the right to appeal (Reg 31(3)), the named school and the health
    commissioning body told; the plan is kept until the time to appeal has passed or an appeal
    is decided (s45(4)). Not to cease: the plan continues and is reviewed as before."""

    def decided(found: Cessation) -> tuple[Cessation, PlanCeasingDecided]:
        done = ceasing.decide(found, body.decision, body.decided_on, body.note, london_today())
        event = PlanCeasingDecided(
            **_common(done), decision=body.decision, decided_on=body.decided_on,
            reason=done.reason, appeal_by=done.appeal_by,
        )  # fmt: skip
        return done, event

    async def decide(uow: UnitOfWork) -> DomainEvent:
        return decided(await _under_way(uow, referral_id))[1]

    async def take(uow: UnitOfWork, found: Cessation) -> None:
        done, event = decided(found)
        await cessation_store.save(
            uow.conn, done, decision=body.decision, decision_note=body.note.strip()
        )
        await letters.keep(uow.conn, event, body.note.strip(), caller.actor.subject)
        if done.stage == Stage.KEPT:
            await cessation_store.keep_reviewing(uow.conn, done, london_today())
        uow.add(event)
        await _timeline(uow, referral_id, StatutoryStep.CEASING_DECIDED, body.decision)
        for told in await others_told_of_ceasing(uow, event):
            uow.add(told)

    return await _step(
        referral_id, caller, retry, body, take, letters, decide=decide, note=body.note.strip()
    )


@router.post("/ceasing/mediation", response_model=list[CessationView])
async def ceasing_mediation(
    referral_id: UUID, body: Mediation, caller: AsCaller, retry: StepRetry
) -> Any:
    """The mediation certificate's day (Reg 32): the appeal date becomes 1 month from it when
    that is later than 2 months from the decision. A step on the timeline; no event (the
    scheduler reads the appeal date from the database)."""

    async def take(uow: UnitOfWork, found: Cessation) -> None:
        done = ceasing.record_mediation(found, body.mediation_certificate_on, london_today())
        await cessation_store.save(uow.conn, done)
        uow.changed(
            "update", "plan-cessation",
            referral_id=referral_id, local_authority=found.local_authority,
        )  # fmt: skip
        await _timeline(uow, referral_id, StatutoryStep.MEDIATION_RECORDED, "certificate")

    return await _step(referral_id, caller, retry, body, take)


@router.post("/ceasing/appeal", response_model=list[CessationView])
async def ceasing_appeal_lodged(
    referral_id: UUID, body: Appeal, caller: AsCaller, retry: StepRetry
) -> Any:
    """An appeal to the First-tier Tribunal (SEND) against the decision to cease, within the
    time to appeal: the plan is kept until it is decided (s45(4)(b))."""

    async def take(uow: UnitOfWork, found: Cessation) -> None:
        done = ceasing.appeal_lodged(found, body.lodged_on, london_today())
        await cessation_store.save(uow.conn, done)
        uow.add(CeasingAppealLodged(**_common(done), lodged_on=body.lodged_on))
        await _timeline(uow, referral_id, StatutoryStep.CEASING_APPEAL_LODGED, str(done.id))

    return await _step(referral_id, caller, retry, body, take)


@router.post("/ceasing/appeal-outcome", response_model=list[CessationView])
async def ceasing_appeal_decided(
    referral_id: UUID, body: AppealDecided, caller: AsCaller, retry: StepRetry
) -> Any:
    """The Tribunal's decision: upheld, the plan continues (and is reviewed); dismissed, the
    plan ceases that day."""

    async def take(uow: UnitOfWork, found: Cessation) -> None:
        done = ceasing.appeal_decided(found, body.outcome, body.decided_on, london_today())
        await cessation_store.save(
            uow.conn, done, appeal_outcome=body.outcome, appeal_decided_on=body.decided_on
        )
        events: list[DomainEvent] = [
            CeasingAppealDecided(**_common(done), outcome=body.outcome, decided_on=body.decided_on)
        ]
        await _timeline(uow, referral_id, StatutoryStep.CEASING_APPEAL_DECIDED, body.outcome)
        if done.stage == Stage.CEASED:
            events.append(await plan_ceased(uow, done))
        else:
            await cessation_store.keep_reviewing(uow.conn, done, london_today())
        for event in events:
            uow.add(event)

    return await _step(referral_id, caller, retry, body, take)
