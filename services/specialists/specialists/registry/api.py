"""The registry's routes: managers create, change, retire, import and export entries;
caseworkers read. Capacity added (a new entry, a raised caseload) works the waitlist at once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, status

from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Principal, Role, allow, require_council
from shared.http import (
    CONFLICT,
    NOT_FOUND,
    UNAVAILABLE,
    AsCaller,
    CallerWork,
    DbConnection,
    invalid,
)
from shared.unit_of_work import UnitOfWork
from specialists import waitlist
from specialists.registry import store
from specialists.registry.entry import EntryFields, EntryIn, EntryView

router = APIRouter(prefix="/v1", tags=["registry"], responses={**UNAVAILABLE, **AUTH_RESPONSES})
Council = Annotated[str, Query(pattern=r"^E[0-9]{8}$", examples=["E08000035"])]


def pairs_to_work(principal: Principal, entries: Iterable[EntryFields]) -> list[tuple[str, str]]:
    """The (council, role) waitlists new places go to: of the councils an entry serves (a
    stored one: those that agreed; one being saved: those named, as the caller agrees for
    every one it acts for), those the caller acts for."""
    pairs = {
        (c, str(e.role))
        for e in entries
        if e.active
        for c in (e.serving() if isinstance(e, EntryView) else e.served())
    }
    return sorted(p for p in pairs if p[0] in principal.councils)


def changed(uow: UnitOfWork, action: str, council: str) -> None:
    """A manager's change to the council's registry, for the audit trail (no child's record:
    no referral)."""
    uow.changed(action, "registry", referral_id=None, local_authority=council)


def agreed(uow: UnitOfWork, saved: Iterable[store.Saved]) -> None:
    """An ``agree`` for each council the caller's change agreed for (who, which, when)."""
    for council in sorted({c for s in saved for c in s.sharing.agreed_now}):
        changed(uow, "agree", council)


@router.get(
    "/registry", response_model=list[EntryView], dependencies=[allow(Role.CASEWORKER, Role.MANAGER)]
)
async def list_registry(
    conn: DbConnection, principal: CurrentPrincipal, local_authority: Council
) -> list[EntryView]:
    """Every team and practitioner commissioned by or serving the council, retired ones too."""
    require_council(principal, [local_authority])
    return await store.listed(conn, local_authority)


@router.post(
    "/registry",
    status_code=status.HTTP_201_CREATED,
    response_model=EntryView,
    responses=CONFLICT,
    dependencies=[allow(Role.MANAGER)],
)
async def create_entry(body: EntryIn, caller: AsCaller, principal: CurrentPrincipal) -> EntryView:
    """Add a team or practitioner (409 if its id is taken); its places go to the waitlist.
    It serves the named councils the caller acts for; the others once they agree."""
    return await _save(caller, principal, body, create=True)


@router.get(
    "/registry/{entry_id}",
    response_model=EntryView,
    responses=NOT_FOUND,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def get_entry(entry_id: UUID, conn: DbConnection) -> EntryView:
    found = await store.one(conn, entry_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no registry entry {entry_id}")
    return found


@router.put(
    "/registry/{entry_id}",
    response_model=EntryView,
    responses={**NOT_FOUND, **CONFLICT},
    dependencies=[allow(Role.MANAGER)],
)
async def change_entry(
    entry_id: UUID, body: EntryFields, caller: AsCaller, principal: CurrentPrincipal
) -> EntryView:
    """Change an entry (its council stays); more places go to the waitlist at once. A council
    added, or all when the role changes, must agree again (the caller's own agree at once)."""
    if await store.one(caller.conn, entry_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no registry entry {entry_id}")
    entry = EntryIn(**body.model_dump(), id=entry_id)
    return await _save(caller, principal, entry, create=False)


@router.post(
    "/registry/{entry_id}/retire",
    response_model=EntryView,
    responses=NOT_FOUND,
    dependencies=[allow(Role.MANAGER)],
)
async def retire_entry(entry_id: UUID, caller: AsCaller, principal: CurrentPrincipal) -> EntryView:
    """No new allocations for the entry; the ones it has continue until they end."""
    async with caller.begin() as uow:
        found = await store.one(uow.conn, entry_id, lock=True)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no registry entry {entry_id}")
        require_council(principal, [found.local_authority])
        retired = await store.retire(uow.conn, entry_id)
        changed(uow, "retire", found.local_authority)
    assert retired is not None
    return retired


async def _save(
    caller: CallerWork, principal: Principal, entry: EntryIn, *, create: bool
) -> EntryView:
    require_council(principal, [entry.local_authority])
    try:
        async with caller.begin() as uow:
            await waitlist.hold(uow.conn, pairs_to_work(principal, [entry]))
            saved = await store.save(
                uow.conn, entry, create=create, by=principal.subject, acting_for=principal.councils
            )
            changed(uow, "create" if create else "update", entry.local_authority)
            agreed(uow, [saved])
            await waitlist.move(caller.work, uow.conn, pairs_to_work(principal, [saved.entry]))
            now = await store.one(uow.conn, saved.entry.id)  # with the places taken
    except store.Invalid as bad:
        raise invalid([((bad.field,), bad.why)]) from bad
    except store.Conflict as conflict:
        raise HTTPException(status.HTTP_409_CONFLICT, str(conflict)) from conflict
    assert now is not None
    return now
