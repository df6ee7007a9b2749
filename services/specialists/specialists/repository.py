"""SQL for specialists, allocations and the waitlist."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from shared.db import Connection
from shared.events import ReferralWaitlisted, SpecialistAssigned
from specialists.domain import Specialist


async def candidates_for_update(
    conn: Connection, local_authority: str, specialism: str
) -> list[Specialist]:
    """Active specialists of that kind in the area, locked so two allocations cannot both
    take a last free place."""
    rows = await conn.fetch(
        """SELECT s.id, s.specialism, s.local_authority, s.districts, s.capacity,
                  (SELECT count(*) FROM allocations a
                    WHERE a.specialist_id = s.id AND a.status = 'active') AS active_allocations
           FROM specialists s
           WHERE s.local_authority = $1 AND s.specialism = $2 AND s.active
           ORDER BY s.id
           FOR UPDATE OF s""",
        local_authority,
        specialism,
    )
    return [
        Specialist(
            id=r["id"],
            specialism=r["specialism"],
            local_authority=r["local_authority"],
            districts=tuple(r["districts"]),
            capacity=r["capacity"],
            active_allocations=r["active_allocations"],
        )
        for r in rows
    ]


async def already_decided(conn: Connection, referral_id: UUID) -> bool:
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM allocations WHERE referral_id = $1)
                   OR EXISTS (SELECT 1 FROM waitlist WHERE referral_id = $1)""",
            referral_id,
        )
    )


async def record(conn: Connection, outcome: SpecialistAssigned | ReferralWaitlisted) -> None:
    if isinstance(outcome, SpecialistAssigned):
        await conn.execute(
            """INSERT INTO allocations (id, referral_id, plan_id, specialist_id)
               VALUES ($1, $2, $3, $4)""",
            outcome.allocation_id,
            outcome.referral_id,
            outcome.plan_id,
            outcome.specialist_id,
        )
    else:
        await conn.execute(
            """INSERT INTO waitlist (referral_id, plan_id, specialism, local_authority)
               VALUES ($1, $2, $3, $4)""",
            outcome.referral_id,
            outcome.plan_id,
            outcome.specialism,
            outcome.local_authority,
        )


async def allocation_for_referral(conn: Connection, referral_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT a.id, a.referral_id, a.plan_id, a.status, a.created_at,
                  s.id AS specialist_id, s.display_name, s.specialism, s.local_authority
           FROM allocations a JOIN specialists s ON s.id = a.specialist_id
           WHERE a.referral_id = $1""",
        referral_id,
    )
