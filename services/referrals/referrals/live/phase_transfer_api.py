"""HTTP routes of phase transfers (Reg 18): a year's transfer cohort with what is late (the
caseload's view), and the caseworker setting a child's transfer where the date of birth does
not tell it (an infant school, a child out of their year group). Caseworkers and managers, for
the councils they work for."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field

from referrals import repository
from referrals.domain import StatutoryStep
from referrals.ehc_api import StepRetry, one_step
from referrals.live import phase_transfer_store
from referrals.live.phase_transfer import CohortState, PhaseTransfer, year_problem
from referrals.state import State
from referrals.statutory import InvalidStep, OutOfOrder
from shared.auth import AUTH_RESPONSES, Role, allow
from shared.dates import london_today
from shared.events import PhaseTransferKind
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, AsCaller
from shared.unit_of_work import UnitOfWork

router = APIRouter(
    prefix="/v1",
    tags=["phase transfers"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES},
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)


def cohort_year_now(today: date) -> int:
    """The cohort a council works on now: the children moving this coming September."""
    return today.year if today < date(today.year, 9, 1) else today.year + 1


class CohortChildView(BaseModel):
    referral_id: UUID
    local_authority: str
    given_name: str | None
    family_name: str | None
    kind: PhaseTransferKind
    transfer_year: int
    due_on: date = Field(description="The last day the law allows (14 Feb; 30 Mar to post-16)")
    set_by: str = Field(examples=["date_of_birth"])
    review_held_on: date | None = Field(description="The transfer review's meeting")
    review_decision: str | None
    amended_issued_on: date | None = Field(description="The plan naming the next setting")
    next_setting_urn: str | None
    next_setting_ukprn: str | None
    next_setting_type: str | None
    state: CohortState


class CohortView(BaseModel):
    year: int
    today: date
    counts: dict[str, int] = Field(description="Children in each state")
    children: list[CohortChildView]


@router.get("/caseload/phase-transfers", response_model=CohortView)
async def transfer_cohort(
    caller: AsCaller,
    state: State,
    year: Annotated[int | None, Query(ge=2014, le=2100)] = None,
) -> CohortView:
    """The children of the caller's councils moving phase in September of ``year`` (left out:
    this coming September), the nearest deadline first, each with the review held, the amended
    plan naming the next setting and whether it is late (each child listed is audited)."""
    today = london_today()
    year = year or cohort_year_now(today)
    async with caller.begin() as uow:
        children = await phase_transfer_store.cohort(uow.conn, year, today, state.at_risk_days)
        uow.read_each(
            "phase-transfer-cohort", [(c.referral_id, c.local_authority) for c in children]
        )
    counts: dict[str, int] = {}
    for child in children:
        counts[child.state] = counts.get(child.state, 0) + 1
    return CohortView(
        year=year,
        today=today,
        counts=counts,
        children=[CohortChildView.model_validate(c, from_attributes=True) for c in children],
    )


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=2014, le=2100, description="The child moves in September of this year")
    kind: PhaseTransferKind


class TransferView(BaseModel):
    referral_id: UUID
    kind: PhaseTransferKind
    transfer_year: int
    due_on: date
    set_by: str


@router.post(
    "/referrals/{referral_id}/phase-transfer",
    response_model=TransferView,
    responses={**NOT_FOUND, **CONFLICT},
)
async def set_phase_transfer(
    referral_id: UUID, body: TransferIn, caller: AsCaller, retry: StepRetry
) -> Any:
    """The child's next phase transfer as the caseworker knows it (the year worked out from
    the date of birth is replaced; no more than 2 years from it); its deadline and warnings
    follow it."""

    async def step(uow: UnitOfWork) -> TransferView:
        row = await uow.conn.fetchrow(
            """SELECT r.local_authority, c.date_of_birth,
                      EXISTS (SELECT FROM annual_reviews a WHERE a.referral_id = r.id
                              AND a.decided_on IS NULL) AS in_force
               FROM referrals r LEFT JOIN children c ON c.id = r.child_id
               WHERE r.id = $1 FOR UPDATE OF r""",
            referral_id,
        )
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        if not row["in_force"]:
            raise OutOfOrder("no EHC plan in force (with a review to come) for this referral")
        transfer = PhaseTransfer(body.kind, body.year)
        wrong = year_problem(row["date_of_birth"], transfer) if row["date_of_birth"] else None
        if wrong:
            raise InvalidStep("year", wrong)
        today = london_today()
        if transfer.moves_on <= today:
            raise InvalidStep("year", f"the move in September {body.year} has happened")
        event = await phase_transfer_store.set_transfer(
            uow.conn, referral_id, row["local_authority"], transfer, "caseworker", today
        )
        uow.add(event)
        await repository.add_step(
            uow.conn, referral_id=referral_id, event_id=uuid4(),
            step=StatutoryStep.PHASE_TRANSFER_SET, service="referrals",
            occurred_at=await uow.conn.fetchval("SELECT now()"),
            detail=f"{transfer.kind} {transfer.year}",
        )  # fmt: skip
        return TransferView(
            referral_id=referral_id,
            kind=transfer.kind,
            transfer_year=transfer.year,
            due_on=transfer.due_on,
            set_by="caseworker",
        )

    return await one_step(caller, retry, body, step)
