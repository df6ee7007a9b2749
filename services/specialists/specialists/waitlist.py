"""The waitlist moves: a freed place goes at once to the child waiting first in priority
order (the nearest statutory deadline first, then the longest wait); allocations end.

Strictly in order: when the child first in line needs more places than are free (an EHC case
counts 2), the places are kept for them, not given to a lighter case behind them. A child no
team serves does not hold the line (nothing they wait for can free).

The waitlist moving is the service's own doing (``system:specialists`` in the audit trail),
even where a person's change frees the places (an allocation ended, a team added): ``move``
runs it as the service's unit of work inside the transaction of that change."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from shared.db import Connection
from shared.events import AllocationEnded, DomainEvent, EndReason, SpecialistAssigned
from shared.unit_of_work import Actor, UnitOfWork, Work
from specialists import domain, store
from specialists.allocating import allocate
from specialists.needs import Needed

SERVICE = Actor.system("specialists")
"""Who moves the waitlist, in the audit trail."""

BATCH = 200
"""Children offered a place per (council, role) in one go; the periodic pass does the rest."""


async def hold(conn: Connection, pairs: Iterable[tuple[str, str]]) -> None:
    """Work on the waitlist of these (council, role) pairs one transaction at a time, until
    this one ends: two freeing places of one role at once would otherwise each hold the
    entry it freed while waiting for the other's (a deadlock). Taken in one order."""
    for council, role in sorted(set(pairs)):
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"waitlist:{council}:{role}"
        )


async def offer(conn: Connection, local_authority: str, role: str) -> list[DomainEvent]:
    """Offer the places free in ``role`` to the council's waiting children, in priority
    order. Rows are claimed (SKIP LOCKED), so replicas working at once never offer one
    child twice; each allocation is a ``SpecialistAssigned`` with ``from_waitlist``."""
    await hold(conn, [(local_authority, role)])
    rows = await conn.fetch(
        """SELECT referral_id, statutory FROM waitlist
           WHERE local_authority = $1 AND role = $2
           ORDER BY statutory_due NULLS LAST, since, referral_id
           LIMIT $3 FOR UPDATE SKIP LOCKED""",
        local_authority,
        role,
        BATCH,
    )
    events: list[DomainEvent] = []
    for row in rows:
        need = await store.need_of(conn, row["referral_id"])
        if need is None or need.plan_id is None:
            continue
        outcome = await allocate(conn, need, Needed(role, row["statutory"]), from_waitlist=True)
        if outcome == "teams_full":
            break  # the places left are kept for the child first in line
        if isinstance(outcome, SpecialistAssigned):
            await conn.execute(
                "DELETE FROM waitlist WHERE referral_id = $1 AND role = $2",
                row["referral_id"],
                role,
            )
            events.append(outcome)
    return events


async def move(work: Work, conn: Connection, pairs: Iterable[tuple[str, str]]) -> None:
    """Offer the places free in each (council, role) to its waiting children, as the
    service's own unit of work in the transaction open on ``conn`` (the change that freed
    them): its allocations commit with that change, or not at all."""
    async with work.within(conn, SERVICE) as uow:
        for council, role in sorted(set(pairs)):
            uow.add(*await offer(uow.conn, council, role))


async def waiting_pairs(conn: Connection) -> list[tuple[str, str]]:
    """Every (council, role) somebody waits for (for the periodic pass)."""
    rows = await conn.fetch("SELECT DISTINCT local_authority, role FROM waitlist ORDER BY 1, 2")
    return [(r["local_authority"], r["role"]) for r in rows]


async def end(conn: Connection, allocation_id: UUID, reason: EndReason) -> AllocationEnded | None:
    """End an active allocation and free its places (the caller offers them to the
    waitlist). None when there is no such allocation (for this council);
    ``domain.NotActive`` if it has ended."""
    row = await conn.fetchrow(
        """SELECT id, referral_id, specialist_id, role, local_authority, weight, status
           FROM allocations WHERE id = $1 FOR UPDATE""",
        allocation_id,
    )
    if row is None:
        return None
    ended = domain.end(domain.Allocation(**dict(row)), reason)
    await hold(conn, [(ended.local_authority, ended.specialism)])
    await conn.execute(
        """UPDATE allocations SET status = 'ended', ended_at = now(), end_reason = $2
           WHERE id = $1""",
        allocation_id,
        reason,
    )
    await store.give_back(conn, row["specialist_id"], row["weight"])
    return ended


async def end_and_move(
    work: Work, uow: UnitOfWork, allocation_id: UUID, reason: EndReason
) -> AllocationEnded | None:
    """End the allocation in ``uow`` (a person's: a caseworker's or its practitioner's) and
    offer its places to the waitlist at once, as the service's own work in that transaction.
    None when there is no such allocation; ``domain.NotActive`` if it has ended."""
    ended = await end(uow.conn, allocation_id, reason)
    if ended is None:
        return None
    uow.add(ended)
    await move(work, uow.conn, [(ended.local_authority, ended.specialism)])
    return ended
