"""HTTP routes of a re-assessment's advice (Reg 25 applies Regs 6-8 to a re-assessment): the
advice asked for (each adviser's 6 weeks on the clock) and each piece received. Each step is one
unit of work (``ehc_api.one_step``: a retry's first answer, 409 out of order, 422 naming the
field), audited and on the timeline; answered with the plan's re-assessments, whose limits
show each adviser's. The family is not told of these steps by message: the law has them told of
the decision and the outcome, and the timeline shows the advice asked for and received."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from referrals import repository
from referrals.domain import StatutoryStep
from referrals.ehc_api import StepRetry, one_step
from referrals.live import reassessment_advice, reassessment_advice_store
from referrals.live.reassessment import Reassessment
from referrals.live.reassessment_api import ReassessmentView, _known, reassessments_now
from referrals.live.reassessment_store import open_reassessment
from referrals.statutory import AdviceKind, OutOfOrder
from shared.auth import AUTH_RESPONSES, Role, allow
from shared.dates import london_today
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, AsCaller
from shared.unit_of_work import UnitOfWork

router = APIRouter(
    prefix="/v1/referrals/{referral_id}/reassessment",
    tags=["re-assessment"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES, **NOT_FOUND, **CONFLICT},
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)


class AdviceAsked(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kinds: list[AdviceKind] = Field(
        min_length=1,
        max_length=len(AdviceKind),
        description="As for an assessment (Reg 6(1)): the family's (parent), educational, "
        "medical, an educational psychologist's and social care advice for every child; from "
        "Year 9 preparing_for_adulthood; a teacher of the deaf or of the vision impaired for a "
        "hearing or vision impairment. Each is due 6 weeks after it is asked for (Reg 8)",
        examples=[["parent", "educational", "medical", "educational_psychology", "social_care"]],
    )
    requested_on: date = Field(description="The day the advice was asked for")


class AdviceGiven(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: AdviceKind
    received_on: date


async def _under_way(uow: UnitOfWork, referral_id: UUID) -> Reassessment:
    await _known(uow, referral_id)
    found = await open_reassessment(uow.conn, referral_id)
    if found is None:
        raise OutOfOrder("no re-assessment under way: record its request first")
    return found


async def _recorded(
    uow: UnitOfWork, found: Reassessment, step: StatutoryStep, detail: str
) -> list[ReassessmentView]:
    uow.changed(
        "update", "reassessment",
        referral_id=found.referral_id, local_authority=found.local_authority,
    )  # fmt: skip
    await repository.add_step(
        uow.conn, referral_id=found.referral_id, event_id=uuid4(), step=step,
        service="referrals", occurred_at=await uow.conn.fetchval("SELECT now()"), detail=detail,
    )  # fmt: skip
    return await reassessments_now(uow, found.referral_id)


@router.post("/advice-requests", response_model=list[ReassessmentView])
async def reassessment_advice_asked(
    referral_id: UUID, body: AdviceAsked, caller: AsCaller, retry: StepRetry
) -> Any:
    """Advice asked for in the re-assessment under way, as for an assessment (Regs 6, 25):
    each adviser's limit is 6 weeks from the request (Reg 8), warned of when at risk and
    missed. Advice asked for already in this re-assessment: 409."""

    async def step(uow: UnitOfWork) -> list[ReassessmentView]:
        found = await _under_way(uow, referral_id)
        already = await reassessment_advice_store.limits_of(uow.conn, found.id)
        limits = reassessment_advice.ask(
            found, body.kinds, body.requested_on, already, london_today()
        )
        await reassessment_advice_store.ask(uow.conn, found, limits)
        detail = ",".join(k.removeprefix(reassessment_advice.ADVICE) for k in limits)
        return await _recorded(uow, found, StatutoryStep.REASSESSMENT_ADVICE_REQUESTED, detail)

    return await one_step(caller, retry, body, step, date_field="requested_on")


@router.post("/advice-received", response_model=list[ReassessmentView])
async def reassessment_advice_received(
    referral_id: UUID, body: AdviceGiven, caller: AsCaller, retry: StepRetry
) -> Any:
    """Advice asked for in the re-assessment arrived: its adviser's limit met. Advice never
    asked for, or received already: 409."""

    async def step(uow: UnitOfWork) -> list[ReassessmentView]:
        found = await _under_way(uow, referral_id)
        limits = await reassessment_advice_store.limits_of(uow.conn, found.id)
        met = reassessment_advice.receive(
            found, body.kind, limits.get(body.kind.value), body.received_on, london_today()
        )
        [(kind, on)] = met.items()
        if not await reassessment_advice_store.receive(uow.conn, found.id, kind, on):
            raise OutOfOrder(f"the {body.kind.value} advice was received already")
        return await _recorded(
            uow, found, StatutoryStep.REASSESSMENT_ADVICE_RECEIVED, body.kind.value
        )

    return await one_step(caller, retry, body, step, date_field="received_on")
