"""HTTP routes of the specialists service: a referral's allocations, and ending one."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

import asyncpg
from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from shared.auth import AUTH_RESPONSES, Role, allow
from shared.events import EndReason
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, AsCaller, CallerWork
from shared.specialisms import SPECIALISM_TITLES, Specialism
from specialists import waitlist
from specialists.domain import NotActive

router = APIRouter(prefix="/v1", tags=["specialists"], responses={**UNAVAILABLE, **AUTH_RESPONSES})


class AllocationView(BaseModel):
    id: UUID
    referral_id: UUID
    plan_id: UUID
    status: Literal["active", "ended"]
    specialist_id: UUID
    display_name: str
    specialism: str = Field(description="The role (shared/specialisms.py)")
    role_title: str = Field(description="The role in plain words")
    reasons: list[str] = Field(description="Why this team or practitioner was chosen")
    statutory: bool = Field(description="An EHC statutory advice-giver")
    from_waitlist: bool
    weight: int = Field(description="Weighted places of the caseload it takes")
    created_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    accepted_at: datetime | None = Field(description="When its practitioner took the child on")
    first_session_on: date | None = Field(description="The first session's day, once arranged")
    sessions_given: int = Field(description="Sessions its practitioner recorded as given")
    minutes_given: int


class WaitingView(BaseModel):
    role: str
    role_title: str
    reason: Literal["teams_full", "no_team"]
    since: datetime
    statutory_due: date | None


class AllocationsView(BaseModel):
    referral_id: UUID
    allocations: list[AllocationView] = Field(description="Lead role first, then by time")
    waiting: list[WaitingView]


class EndRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: EndReason


def _title(role: str) -> str:
    return SPECIALISM_TITLES[Specialism(role)] if role in set(Specialism) else role


def _allocation(row: asyncpg.Record) -> AllocationView:
    return AllocationView(**dict(row), role_title=_title(row["specialism"]))


_SELECT = """SELECT a.id, a.referral_id, a.plan_id, a.status, a.created_at, a.reasons,
        a.statutory, a.from_waitlist, a.weight, a.ended_at, a.end_reason, a.local_authority,
        s.id AS specialist_id, s.display_name, a.role AS specialism, a.accepted_at,
        a.first_session_on,
        (SELECT count(*) FROM sessions_given g WHERE g.allocation_id = a.id) AS sessions_given,
        (SELECT coalesce(sum(g.minutes), 0) FROM sessions_given g WHERE g.allocation_id = a.id)
            AS minutes_given
    FROM allocations a JOIN specialists s ON s.id = a.specialist_id
    WHERE a.referral_id = $1 ORDER BY a.status, a.created_at, a.role"""
_WAITING = """SELECT role, reason, since, statutory_due, local_authority FROM waitlist
    WHERE referral_id = $1 ORDER BY since, role"""


async def _read(
    caller: CallerWork, referral_id: UUID, *, waiting: bool
) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    """The referral's allocations (and, ``waiting``, the roles it waits for), the read
    audited; 404 when there is nothing to show."""
    async with caller.begin() as uow:
        rows = await uow.conn.fetch(_SELECT, referral_id)
        waits = await uow.conn.fetch(_WAITING, referral_id) if waiting else []
        if not rows and not waits:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"no allocations for {referral_id}"
                if waiting
                else f"no specialist allocated to referral {referral_id}",
            )
        council = (rows or waits)[0]["local_authority"]
        uow.read("allocation", referral_id=referral_id, local_authority=council)
    return list(rows), list(waits)


@router.get(
    "/referrals/{referral_id}/allocation",
    response_model=AllocationView,
    responses=NOT_FOUND,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def get_allocation_for_referral(referral_id: UUID, caller: AsCaller) -> AllocationView:
    """The referral's first specialist (the lead role's); see ``/allocations`` for all."""
    rows, _ = await _read(caller, referral_id, waiting=False)
    return _allocation(rows[0])


@router.get(
    "/referrals/{referral_id}/allocations",
    response_model=AllocationsView,
    responses=NOT_FOUND,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def get_allocations_for_referral(referral_id: UUID, caller: AsCaller) -> AllocationsView:
    """Every allocation of the referral (active first) with the reasons for each choice, and
    the roles it still waits for (teams full, or no team serving the area)."""
    rows, waits = await _read(caller, referral_id, waiting=True)
    return AllocationsView(
        referral_id=referral_id,
        allocations=[_allocation(r) for r in rows],
        waiting=[
            WaitingView(
                role=w["role"],
                role_title=_title(w["role"]),
                reason=w["reason"],
                since=w["since"],
                statutory_due=w["statutory_due"],
            )
            for w in waits
        ],
    )


@router.post(
    "/allocations/{allocation_id}/end",
    response_model=AllocationView,
    responses={**NOT_FOUND, **CONFLICT},
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def end_allocation(allocation_id: UUID, body: EndRequest, caller: AsCaller) -> AllocationView:
    """End an allocation (support completed, family declined, child moved): its places go at
    once to the waitlist, the nearest statutory deadline first, then the longest wait."""
    try:
        async with caller.begin() as uow:
            ended = await waitlist.end_and_move(caller.work, uow, allocation_id, body.reason)
            if ended is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"no allocation {allocation_id}")
            row = await uow.conn.fetchrow(
                _SELECT.replace("a.referral_id = $1", "a.id = $1"), allocation_id
            )
    except NotActive as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    assert row is not None
    return _allocation(row)
