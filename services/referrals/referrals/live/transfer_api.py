"""HTTP routes of a plan transferred in from another council (Reg 15): the plan recorded as
the old council transferred it (taken over as it is: a live plan, as an import brings in, with
its review due when Reg 15 says), and the family told within 6 weeks whether the council will
make a new EHC needs assessment (a re-assessment starts when it will). Each is one unit of
work (``ehc_api.one_step``: a retry's first answer, 409 out of order, 422 naming the field)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from referrals import repository
from referrals.domain import StatutoryStep
from referrals.ehc_api import StepRetry, one_step
from referrals.live import reassessment, reassessment_store, transfer_in, transfer_store
from referrals.live.import_file import Place
from referrals.live.importing import Rejected, bring_in
from referrals.live.plan_row import LivePlanIn
from referrals.live.reassessment import LivePlanDeadline
from referrals.live.transfer_in import Transfer
from referrals.state import State
from referrals.statutory import InvalidStep, OutOfOrder
from shared.auth import AUTH_RESPONSES, Role, allow
from shared.dates import london_today
from shared.events import LivePlanImported
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, AsCaller, invalid
from shared.unit_of_work import UnitOfWork

router = APIRouter(
    prefix="/v1",
    tags=["transfers in"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES, **CONFLICT},
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan: LivePlanIn = Field(
        description="The plan as the old council made it (its case id: this council's own); "
        "``next_review_on`` is left out: Reg 15 sets the review's date"
    )
    from_council: str = Field(pattern=r"^E[0-9]{8}$", examples=["E08000036"])
    transferred_on: date = Field(description="The day the old council transferred the plan")


class TransferView(BaseModel):
    id: UUID
    referral_id: UUID
    from_council: str
    transferred_on: date
    decide_by: date = Field(description="The family told by (6 weeks from the transfer)")
    review_due: date = Field(description="The annual review by (Reg 15)")
    told_on: date | None
    reassess: bool | None
    met_on: date | None = Field(description="The 6 weeks' limit met on (the day told)")


class Told(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reassess: bool = Field(description="Whether the council will make a new EHC assessment")
    told_on: date


async def _view(uow: UnitOfWork, referral_id: UUID) -> TransferView:
    row = await transfer_store.view_of(uow.conn, referral_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no transfer in for {referral_id}")
    return TransferView.model_validate(row)


@router.post("/live-plans/transfers-in", response_model=TransferView)
async def plan_transferred_in(
    body: TransferIn, caller: AsCaller, retry: StepRetry, state: State
) -> Any:
    """A plan transferred from another council: it becomes a plan in force here (a referral
    on the EHC track in the caseload), its review due 12 months from its issue or last review
    or 3 months from the transfer, whichever is later; the family to be told within 6 weeks
    whether the council will assess again."""
    plan, today = body.plan, london_today()
    if plan.next_review_on is not None:
        raise invalid([(("plan", "next_review_on"), "left out: Reg 15 sets the review's date")])

    async def step(uow: UnitOfWork) -> TransferView:
        try:
            done = await bring_in(
                uow.conn, [(Place(index=0), plan)], [], rules=state.intake_rules,
                acting_for=caller.councils, today=today,
            )  # fmt: skip
        except Rejected as rejected:
            raise invalid(
                [(("plan", *where[2:]), why) for where, why in rejected.problems]
            ) from None
        if not done.added:
            raise OutOfOrder(f"case {plan.case_id} is a plan here already")
        referral_id = done.added[plan.case_id]
        transfer = Transfer(
            uuid4(), referral_id, plan.local_authority, body.from_council, body.transferred_on,
            transfer_in.review_due(plan.last_review_or_issue, body.transferred_on),
        )  # fmt: skip
        try:
            event = transfer_in.transfer_in(
                transfer, plan.issued_on, plan.last_review_or_issue, today
            )
        except InvalidStep as bad:  # a field of the plan is named by its path
            raise invalid([(tuple(bad.field.split(".")), str(bad))]) from None
        await transfer_store.add(uow.conn, transfer, event.decide_by)
        await transfer_store.review_due_on(uow.conn, referral_id, transfer.review_due)
        await reassessment_store.set_deadlines(
            uow.conn, transfer.id, referral_id, transfer.local_authority,
            {LivePlanDeadline.TRANSFER_DECISION: event.decide_by}, {},
        )  # fmt: skip
        for each, council in done.events:
            if isinstance(each, LivePlanImported):  # its review: due when Reg 15 says
                each = each.model_copy(update={"review_due": transfer.review_due})
            uow.add(each, local_authority=council)
        uow.add(event)
        # The import's step reads "moved into this service": this plan was transferred.
        await uow.conn.execute(
            "UPDATE timeline SET step = $2, detail = $3 WHERE referral_id = $1 AND step = $4",
            referral_id, StatutoryStep.PLAN_TRANSFERRED_IN.value, str(transfer.id),
            StatutoryStep.LIVE_PLAN_IMPORTED.value,
        )  # fmt: skip
        return await _view(uow, referral_id)

    return await one_step(caller, retry, body, step, date_field="transferred_on")


@router.get(
    "/referrals/{referral_id}/transfer-in", response_model=TransferView, responses=NOT_FOUND
)
async def transfer_of_plan(referral_id: UUID, caller: AsCaller) -> TransferView:
    """The plan's transfer in, with its limit (audited: a read)."""
    async with caller.begin() as uow:
        view = await _view(uow, referral_id)
        council = await uow.conn.fetchval(
            "SELECT local_authority FROM referrals WHERE id = $1", referral_id
        )
        uow.read("transfer-in", referral_id=referral_id, local_authority=council)
        return view


@router.post(
    "/referrals/{referral_id}/transfer-in/decision", response_model=TransferView,
    responses=NOT_FOUND,
)  # fmt: skip
async def transfer_family_told(
    referral_id: UUID, body: Told, caller: AsCaller, retry: StepRetry
) -> Any:
    """The family told that the plan was transferred and whether the council will make a new
    EHC needs assessment (within 6 weeks of the transfer). A new assessment runs as a
    re-assessment, its plan due within 14 weeks of this day. The family is told."""

    async def step(uow: UnitOfWork) -> TransferView:
        found = await transfer_store.transfer_of(uow.conn, referral_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no transfer in for {referral_id}")
        today = london_today()
        new_id = uuid4() if body.reassess else None
        event = transfer_in.tell_family(found, body.reassess, body.told_on, today, new_id)
        await transfer_store.told(uow.conn, found.id, body.told_on, body.reassess)
        await reassessment_store.set_deadlines(
            uow.conn, found.id, referral_id, found.local_authority, {},
            {LivePlanDeadline.TRANSFER_DECISION: body.told_on},
        )  # fmt: skip
        uow.add(event)
        await repository.add_step(
            uow.conn, referral_id=referral_id, event_id=uuid4(),
            step=StatutoryStep.TRANSFERRED_PLAN_DECIDED, service="referrals",
            occurred_at=await uow.conn.fetchval("SELECT now()"), detail=str(found.id),
        )  # fmt: skip
        if new_id is not None:  # the council's own: asked for and decided on the day told
            if await reassessment_store.open_reassessment(uow.conn, referral_id) is not None:
                raise OutOfOrder("a re-assessment is under way already")
            asked = reassessment.request(
                new_id, referral_id, found.local_authority, "council", body.told_on, today
            )
            await reassessment_store.store(uow.conn, asked, "council")
            decided = reassessment.decide(asked.reassessment, True, body.told_on, today)
            await reassessment_store.store(uow.conn, decided)
        return await _view(uow, referral_id)

    return await one_step(caller, retry, body, step, date_field="told_on")
