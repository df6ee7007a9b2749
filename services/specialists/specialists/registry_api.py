"""The registry's routes: managers create, change, retire, import and export entries;
caseworkers read. Capacity added (a new entry, a raised caseload) works the waitlist at once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.exceptions import RequestValidationError

from shared.audit import Audit, record_system_changes
from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Principal, Role, allow, require_council
from shared.db import Connection
from shared.events import DomainEvent
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, DbConnection, ServiceOutbox
from specialists import registry_store, waitlist
from specialists.handlers import CHANGES
from specialists.moving import publish_by_council
from specialists.registry import EntryFields, EntryIn, EntryView

router = APIRouter(prefix="/v1", tags=["registry"], responses={**UNAVAILABLE, **AUTH_RESPONSES})
Council = Annotated[str, Query(pattern=r"^E[0-9]{8}$", examples=["E08000035"])]


def invalid(problems: Iterable[tuple[tuple[Any, ...], str]]) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": ("body", *loc), "msg": why, "type": "value_error"} for loc, why in problems]
    )


async def work_waitlist(
    conn: Connection, outbox: Any, principal: Principal, entries: Iterable[EntryView]
) -> None:
    """Offer new places to the waiting children of the councils the entries serve (those the
    caller acts for), in priority order."""
    events: list[DomainEvent] = []
    for council, role in pairs_to_work(principal, entries):
        events += await waitlist.work(conn, council, role)
    await record_system_changes(conn, "specialists", events, CHANGES)  # the waitlist's doing
    await publish_by_council(conn, outbox, events)


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


async def audit_change(conn: Connection, audit: Audit, action: str, council: str) -> None:
    await audit.record(conn, action, "registry", referral_id=None, local_authority=council)


async def audit_agreements(
    conn: Connection, audit: Audit, saved: Iterable[registry_store.Saved]
) -> None:
    """An ``agree`` for each council the caller's change agreed for (who, which, when)."""
    for council in sorted({c for s in saved for c in s.sharing.agreed_now}):
        await audit_change(conn, audit, "agree", council)


@router.get(
    "/registry", response_model=list[EntryView], dependencies=[allow(Role.CASEWORKER, Role.MANAGER)]
)
async def list_registry(
    conn: DbConnection, principal: CurrentPrincipal, local_authority: Council
) -> list[EntryView]:
    """Every team and practitioner commissioned by or serving the council, retired ones too."""
    require_council(principal, [local_authority])
    return await registry_store.listed(conn, local_authority)


@router.post(
    "/registry",
    status_code=status.HTTP_201_CREATED,
    response_model=EntryView,
    responses=CONFLICT,
    dependencies=[allow(Role.MANAGER)],
)
async def create_entry(
    body: EntryIn,
    conn: DbConnection,
    outbox: ServiceOutbox,
    principal: CurrentPrincipal,
    audit: Audit,
) -> EntryView:
    """Add a team or practitioner (409 if its id is taken); its places go to the waitlist.
    It serves the named councils the caller acts for; the others once they agree."""
    return await _save(conn, outbox, principal, audit, body, create=True)


@router.get(
    "/registry/{entry_id}",
    response_model=EntryView,
    responses=NOT_FOUND,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def get_entry(entry_id: UUID, conn: DbConnection) -> EntryView:
    found = await registry_store.one(conn, entry_id)
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
    entry_id: UUID,
    body: EntryFields,
    conn: DbConnection,
    outbox: ServiceOutbox,
    principal: CurrentPrincipal,
    audit: Audit,
) -> EntryView:
    """Change an entry (its council stays); more places go to the waitlist at once. A council
    added, or all when the role changes, must agree again (the caller's own agree at once)."""
    if await registry_store.one(conn, entry_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no registry entry {entry_id}")
    entry = EntryIn(**body.model_dump(), id=entry_id)
    return await _save(conn, outbox, principal, audit, entry, create=False)


@router.post(
    "/registry/{entry_id}/retire",
    response_model=EntryView,
    responses=NOT_FOUND,
    dependencies=[allow(Role.MANAGER)],
)
async def retire_entry(
    entry_id: UUID, conn: DbConnection, principal: CurrentPrincipal, audit: Audit
) -> EntryView:
    """No new allocations for the entry; the ones it has continue until they end."""
    async with conn.transaction():
        found = await registry_store.one(conn, entry_id, lock=True)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no registry entry {entry_id}")
        require_council(principal, [found.local_authority])
        retired = await registry_store.retire(conn, entry_id)
        await audit_change(conn, audit, "retire", found.local_authority)
    assert retired is not None
    return retired


async def _save(
    conn: Connection,
    outbox: Any,
    principal: Principal,
    audit: Audit,
    entry: EntryIn,
    *,
    create: bool,
) -> EntryView:
    require_council(principal, [entry.local_authority])
    try:
        async with conn.transaction():
            await waitlist.hold(conn, pairs_to_work(principal, [entry]))
            saved = await registry_store.save(
                conn, entry, create=create, by=principal.subject, acting_for=principal.councils
            )
            await audit_change(conn, audit, "create" if create else "update", entry.local_authority)
            await audit_agreements(conn, audit, [saved])
            await work_waitlist(conn, outbox, principal, [saved.entry])
            now = await registry_store.one(conn, saved.entry.id)  # with the places taken
    except registry_store.Invalid as bad:
        raise invalid([((bad.field,), bad.why)]) from bad
    except registry_store.Conflict as conflict:
        raise HTTPException(status.HTTP_409_CONFLICT, str(conflict)) from conflict
    assert now is not None
    return now
