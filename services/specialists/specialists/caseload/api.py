"""A practitioner's routes (role ``specialist``): their entry's caseload and the steps they
take on an allocation. Another entry's allocation is "not found" here, whatever its council.

(Longer than most modules: one router's routes, each short, and the one shape they answer.)
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import asyncpg
from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Principal, Role, allow
from shared.dates import london_today
from shared.events import EndReason, ProvisionAsked
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, AsCaller, invalid
from shared.specialisms import SPECIALISM_TITLES, Specialism
from shared.unit_of_work import UnitOfWork
from specialists import waitlist
from specialists.caseload import rules, store
from specialists.caseload.rules import Allocated, BadDay, Refused
from specialists.domain import NotActive

router = APIRouter(
    prefix="/v1/caseload",
    tags=["practitioners' caseload"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES},
    dependencies=[allow(Role.SPECIALIST)],
)


class CaseView(BaseModel):
    """A child allocated to the practitioner's entry: ids, the role and where it stands
    (the child's name and what the plan asks come from referrals and plans, each deciding
    the same: only for an allocation of the practitioner's entry)."""

    allocation_id: UUID
    referral_id: UUID
    reference: str = Field(description="The short reference the family and council use")
    specialist_id: UUID
    display_name: str = Field(description="The team or practitioner allocated")
    role: str
    role_title: str
    statutory: bool = Field(description="An EHC statutory advice-giver")
    status: Literal["active", "ended"]
    allocated_at: datetime
    accepted_at: datetime | None
    first_session_on: date | None
    ended_at: datetime | None
    end_reason: str | None
    sessions_given: int
    minutes_given: int
    provision: list[ProvisionAsked] = Field(
        description="What the plan asks of them: its provision lines their role delivers "
        "(sessions are recorded against one); empty for a plan drafted before plans sent them"
    )


class SessionView(BaseModel):
    id: UUID
    provision_id: str = Field(description="The plan's provision line (section F) delivered")
    given_on: date
    minutes: int
    recorded_at: datetime


class CaseDetail(CaseView):
    sessions: list[SessionView] = Field(description="Every session given, the oldest first")


class FirstSession(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_on: date = Field(description="The day of the first session (up to a year ahead)")


class SessionGiven(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID = Field(description="Chosen by the client: the same id again records nothing more")
    provision_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,60}$")] = Field(
        description="The plan's provision line the session delivered (its id in section F)",
        examples=["provision-1"],
    )
    given_on: date
    minutes: int = Field(gt=0, le=rules.LONGEST_SESSION_MINUTES)


class Ending(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: EndReason


def _case(row: asyncpg.Record) -> CaseView:
    return CaseView(**_fields(row))


def _fields(row: asyncpg.Record) -> dict[str, object]:
    role = row["role"]
    title = SPECIALISM_TITLES[Specialism(role)] if role in set(Specialism) else role
    found = {k: v for k, v in dict(row).items() if k != "local_authority"}
    return {
        **found,
        "reference": str(row["referral_id"])[:8].upper(),
        "role_title": title,
        "provision": json.loads(row["provision"]),
    }


def _entries(principal: Principal) -> list[UUID]:
    return list(principal.registry_entries)


def _not_found(allocation_id: UUID) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no allocation {allocation_id} of yours")


@router.get("", response_model=list[CaseView])
async def get_caseload(
    caller: AsCaller,
    principal: CurrentPrincipal,
    ended: Annotated[bool, Query(description="Ended allocations too")] = False,
) -> list[CaseView]:
    """The children allocated to the practitioner's entry, the newest first (each read
    audited)."""
    async with caller.begin() as uow:
        rows = await store.caseload(uow.conn, _entries(principal), ended=ended)
        uow.read_each("allocation", [(r["referral_id"], r["local_authority"]) for r in rows])
    return [_case(r) for r in rows]


@router.get("/{allocation_id}", response_model=CaseDetail, responses=NOT_FOUND)
async def get_case(
    allocation_id: UUID, caller: AsCaller, principal: CurrentPrincipal
) -> CaseDetail:
    """One allocation of theirs, with every session given."""
    async with caller.begin() as uow:
        row = await store.case(uow.conn, _entries(principal), allocation_id)
        if row is None:
            raise _not_found(allocation_id)
        given = await store.sessions(uow.conn, allocation_id)
        uow.read(
            "allocation", referral_id=row["referral_id"], local_authority=row["local_authority"]
        )
    return CaseDetail(**_fields(row), sessions=[SessionView(**dict(s)) for s in given])


async def _now(uow: UnitOfWork, principal: Principal, allocation_id: UUID) -> CaseView:
    row = await store.case(uow.conn, _entries(principal), allocation_id)
    assert row is not None  # locked by this unit of work already
    return _case(row)


async def _mine(uow: UnitOfWork, principal: Principal, allocation_id: UUID) -> Allocated:
    found = await store.locked(uow.conn, _entries(principal), allocation_id)
    if found is None:
        raise _not_found(allocation_id)
    return found


def _refused(exc: Refused | BadDay | NotActive) -> Exception:
    if isinstance(exc, BadDay):
        return invalid([((exc.field,), str(exc))])
    return HTTPException(status.HTTP_409_CONFLICT, str(exc))


@router.post(
    "/{allocation_id}/accept", response_model=CaseView, responses={**NOT_FOUND, **CONFLICT}
)
async def accept_allocation(
    allocation_id: UUID, caller: AsCaller, principal: CurrentPrincipal
) -> CaseView:
    """Take the child on (once): on the timeline for the caseworker and the family."""
    try:
        async with caller.begin() as uow:
            accepted = rules.accept(await _mine(uow, principal, allocation_id), london_today())
            await store.accepted(uow.conn, accepted, uow.actor.subject)
            uow.add(accepted)
            return await _now(uow, principal, allocation_id)
    except Refused as exc:
        raise _refused(exc) from exc


@router.post(
    "/{allocation_id}/first-session",
    response_model=CaseView,
    responses={**NOT_FOUND, **CONFLICT},
)
async def arrange_first_session(
    allocation_id: UUID, body: FirstSession, caller: AsCaller, principal: CurrentPrincipal
) -> CaseView:
    """The first session's day (or a new day for it): the family is told, and the family
    and the caseworker see it on the timeline. The same day again changes nothing."""
    try:
        async with caller.begin() as uow:
            mine = await _mine(uow, principal, allocation_id)
            arranged = rules.arrange_first_session(mine, body.session_on, london_today())
            if arranged is not None:
                await store.arranged(uow.conn, arranged)
                uow.add(arranged)
            return await _now(uow, principal, allocation_id)
    except (Refused, BadDay) as exc:
        raise _refused(exc) from exc


@router.post(
    "/{allocation_id}/sessions",
    response_model=SessionView,
    status_code=status.HTTP_201_CREATED,
    responses={**NOT_FOUND, **CONFLICT, 200: {"model": SessionView, "description": "A repeat"}},
)
async def record_session(
    allocation_id: UUID,
    body: SessionGiven,
    caller: AsCaller,
    principal: CurrentPrincipal,
    response: Response,
) -> SessionView:
    """A session given against a line of the plan's provision that their role delivers
    (audited as a change of the allocation; another line's id is a 422). The same ``id``
    again is the first session's answer (200), nothing more."""
    try:
        async with caller.begin() as uow:
            mine = await _mine(uow, principal, allocation_id)
            rules.check_session(mine, body.given_on, body.minutes, london_today())
            asked = await store.provision_asked(uow.conn, mine.referral_id, mine.role)
            rules.check_provision([line.id for line in asked], body.provision_id)
            row, new = await store.add_session(
                uow.conn,
                mine,
                session_id=body.id,
                provision_id=body.provision_id,
                given_on=body.given_on,
                minutes=body.minutes,
                by=uow.actor.subject,
            )
            if new:
                uow.changed(
                    "create", "session",
                    referral_id=mine.referral_id, local_authority=mine.local_authority,
                )  # fmt: skip
    except (Refused, BadDay) as exc:
        raise _refused(exc) from exc
    except LookupError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    if not new:
        response.status_code = status.HTTP_200_OK
    return SessionView(**dict(row))


@router.post("/{allocation_id}/end", response_model=CaseView, responses={**NOT_FOUND, **CONFLICT})
async def end_own_allocation(
    allocation_id: UUID, body: Ending, caller: AsCaller, principal: CurrentPrincipal
) -> CaseView:
    """End the allocation with a reason: its places go at once to the waitlist, as when a
    caseworker ends it."""
    try:
        async with caller.begin() as uow:
            await _mine(uow, principal, allocation_id)
            await waitlist.end_and_move(caller.work, uow, allocation_id, body.reason)
            return await _now(uow, principal, allocation_id)
    except NotActive as exc:
        raise _refused(exc) from exc
