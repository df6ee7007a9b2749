"""A council's managers see the entries another council asks them to share, agree to each (it
then serves their council and takes its waiting children) or withdraw an agreement
(``specialists/registry/sharing.py``). Every agreement and withdrawal is recorded (who, which
council, when) and audited."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, ConfigDict, Field

from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Role, allow, require_council
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, AsCaller, DbConnection
from specialists import waitlist
from specialists.registry import store
from specialists.registry.api import Council as CouncilQuery
from specialists.registry.api import changed, pairs_to_work
from specialists.registry.entry import Council, EntryView

router = APIRouter(prefix="/v1", tags=["registry"], responses={**UNAVAILABLE, **AUTH_RESPONSES})
CouncilPath = Annotated[str, Path(pattern=r"^E[0-9]{8}$", examples=["E08000035"])]


class Agreement(BaseModel):
    """A council agreeing to be served by an entry another council commissions."""

    model_config = ConfigDict(extra="forbid")

    local_authority: Council = Field(description="The council agreeing: one the manager acts for")


def _missing(entry_id: UUID) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"no registry entry {entry_id}")


@router.get(
    "/registry/awaiting-agreement",
    response_model=list[EntryView],
    dependencies=[allow(Role.MANAGER)],
)
async def awaiting_agreement(
    conn: DbConnection, principal: CurrentPrincipal, local_authority: CouncilQuery
) -> list[EntryView]:
    """Entries that name the council but that it has not agreed to: they do not serve it."""
    require_council(principal, [local_authority])
    return await store.awaiting(conn, local_authority)


@router.post(
    "/registry/{entry_id}/agreements",
    response_model=EntryView,
    responses={**NOT_FOUND, **CONFLICT},
    dependencies=[allow(Role.MANAGER)],
)
async def agree_to_entry(
    entry_id: UUID,
    body: Agreement,
    caller: AsCaller,
    principal: CurrentPrincipal,
) -> EntryView:
    """The council agrees to be served by the entry, which from now takes its children (its
    free places go to the council's waitlist at once). Agreeing again changes nothing."""
    council = body.local_authority
    require_council(principal, [council])
    async with caller.begin() as uow:
        seen = await store.one(uow.conn, entry_id)
        if seen is None:
            raise _missing(entry_id)
        await waitlist.hold(
            uow.conn, [(council, str(seen.role))]
        )  # before the row, as an offer does
        found = await store.one(uow.conn, entry_id, lock=True)
        if found is None:
            raise _missing(entry_id)
        if council in found.serving():
            return found
        if council not in found.awaiting_agreement:
            raise HTTPException(
                status.HTTP_409_CONFLICT, f"the entry does not ask to serve council {council}"
            )
        if found.role != seen.role:
            raise HTTPException(
                status.HTTP_409_CONFLICT, "the entry changed its role meanwhile: look again"
            )
        agreed = await store.agree(uow.conn, entry_id, council, principal.subject)
        changed(uow, "agree", council)
        await waitlist.move(caller.work, uow.conn, pairs_to_work(principal, [agreed]))
        now = await store.one(uow.conn, entry_id)  # with the places the waitlist took
    assert now is not None
    return now


@router.delete(
    "/registry/{entry_id}/agreements/{local_authority}",
    response_model=EntryView,
    responses={**NOT_FOUND, **CONFLICT},
    dependencies=[allow(Role.MANAGER)],
)
async def withdraw_agreement(
    entry_id: UUID,
    local_authority: CouncilPath,
    caller: AsCaller,
    principal: CurrentPrincipal,
) -> EntryView:
    """The council's agreement ends: the entry no longer takes its children (allocations it
    has run their course) and asks the council again. Needs no other council's agreement."""
    require_council(principal, [local_authority])
    async with caller.begin() as uow:
        found = await store.one(uow.conn, entry_id, lock=True)
        if found is None:
            raise _missing(entry_id)
        if local_authority not in found.serving():
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"council {local_authority} has no agreement in force with this entry",
            )
        withdrawn = await store.withdraw(uow.conn, entry_id, local_authority, principal.subject)
        changed(uow, "withdraw", local_authority)
    return withdrawn
