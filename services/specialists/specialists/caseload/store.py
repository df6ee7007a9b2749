"""SQL for a practitioner's caseload: every query names the entries they may see (their
``registry_entry`` claim), so an allocation of another entry is never found, let alone
changed (the council's row-level security holds the line between councils besides)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from uuid import UUID

import asyncpg

from shared.db import Connection
from shared.events import AllocationAccepted, FirstSessionArranged, ProvisionAsked
from specialists.caseload.rules import Allocated

CASE_COLUMNS = """a.id AS allocation_id, a.referral_id, a.specialist_id, s.display_name,
    a.role, a.statutory, a.status, a.created_at AS allocated_at, a.accepted_at,
    a.first_session_on, a.ended_at, a.end_reason, a.local_authority,
    (SELECT count(*) FROM sessions_given g WHERE g.allocation_id = a.id) AS sessions_given,
    (SELECT coalesce(sum(g.minutes), 0) FROM sessions_given g WHERE g.allocation_id = a.id)
        AS minutes_given,
    (SELECT coalesce(jsonb_agg(p ORDER BY o), '[]')::text
     FROM referral_needs n, jsonb_array_elements(n.provision) WITH ORDINALITY AS l (p, o)
     WHERE n.referral_id = a.referral_id AND p->>'role' = a.role) AS provision"""
"""An allocation as the caseload shows it (``a``: allocations, ``s``: its entry), with the
lines of the plan's provision its role delivers (``provision``, JSON)."""


async def caseload(
    conn: Connection, entries: Sequence[UUID], *, ended: bool
) -> list[asyncpg.Record]:
    """The entries' allocations, the newest first; ended ones too when ``ended``."""
    return list(
        await conn.fetch(
            f"""SELECT {CASE_COLUMNS}
                FROM allocations a JOIN specialists s ON s.id = a.specialist_id
                WHERE a.specialist_id = ANY ($1) AND ($2 OR a.status = 'active')
                ORDER BY a.status, a.created_at DESC, a.id
                LIMIT 500""",
            list(entries),
            ended,
        )
    )


async def case(
    conn: Connection, entries: Sequence[UUID], allocation_id: UUID
) -> asyncpg.Record | None:
    """One of the entries' allocations (None: not theirs, or not there)."""
    return await conn.fetchrow(
        f"""SELECT {CASE_COLUMNS}
            FROM allocations a JOIN specialists s ON s.id = a.specialist_id
            WHERE a.id = $2 AND a.specialist_id = ANY ($1)""",
        list(entries),
        allocation_id,
    )


async def locked(
    conn: Connection, entries: Sequence[UUID], allocation_id: UUID
) -> Allocated | None:
    """One of the entries' allocations, locked for a change (None: not theirs)."""
    row = await conn.fetchrow(
        """SELECT id, referral_id, specialist_id, role, local_authority, status,
                  (created_at AT TIME ZONE 'Europe/London')::date AS allocated_on,
                  (accepted_at AT TIME ZONE 'Europe/London')::date AS accepted_on,
                  first_session_on
           FROM allocations WHERE id = $2 AND specialist_id = ANY ($1) FOR UPDATE""",
        list(entries),
        allocation_id,
    )
    return None if row is None else Allocated(**dict(row))


async def accepted(conn: Connection, event: AllocationAccepted, by: str) -> None:
    await conn.execute(
        "UPDATE allocations SET accepted_at = now(), accepted_by = $2 WHERE id = $1",
        event.allocation_id,
        by,
    )


async def arranged(conn: Connection, event: FirstSessionArranged) -> None:
    await conn.execute(
        "UPDATE allocations SET first_session_on = $2 WHERE id = $1",
        event.allocation_id,
        event.session_on,
    )


async def provision_asked(conn: Connection, referral_id: UUID, role: str) -> list[ProvisionAsked]:
    """The lines of the child's plan's provision that ``role`` delivers (plan-drafted's)."""
    found = await conn.fetchval(
        "SELECT provision::text FROM referral_needs WHERE referral_id = $1", referral_id
    )
    lines = [ProvisionAsked.model_validate(p) for p in json.loads(found or "[]")]
    return [line for line in lines if line.role == role]


async def sessions(conn: Connection, allocation_id: UUID) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            """SELECT id, provision_id, given_on, minutes, recorded_at FROM sessions_given
               WHERE allocation_id = $1 ORDER BY given_on, recorded_at""",
            allocation_id,
        )
    )


async def add_session(
    conn: Connection,
    allocation: Allocated,
    *,
    session_id: UUID,
    provision_id: str,
    given_on: date,
    minutes: int,
    by: str,
) -> tuple[asyncpg.Record, bool]:
    """The session (its id chosen by the client), and whether it is new: a repeat of the same
    id is the first one again, and changes nothing."""
    added = await conn.fetchrow(
        """INSERT INTO sessions_given (id, allocation_id, referral_id, local_authority,
               provision_id, given_on, minutes, recorded_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING
           RETURNING id, provision_id, given_on, minutes, recorded_at""",
        session_id,
        allocation.id,
        allocation.referral_id,
        allocation.local_authority,
        provision_id,
        given_on,
        minutes,
        by,
    )
    if added is not None:
        return added, True
    first = await conn.fetchrow(
        """SELECT id, provision_id, given_on, minutes, recorded_at FROM sessions_given
           WHERE id = $1 AND allocation_id = $2""",
        session_id,
        allocation.id,
    )
    if first is None:
        raise LookupError(f"session {session_id} belongs to another allocation")
    return first, False
