"""SQL for what matching reads: each child's needs (codes only) and the registry's entries.

(Longer than most modules: one short SQL function per query matching makes.)
"""

from __future__ import annotations

import json
from datetime import date, datetime
from uuid import UUID

import asyncpg

from shared.db import Connection
from shared.events import PlanDrafted
from specialists.matching import Entry
from specialists.needs import Need

_NEED_COLUMNS = """referral_id, local_authority, plan_id, primary_need, secondary_needs,
    postcode_district, school_urn, language, track, statutory_due, needed_since"""


def _need(row: asyncpg.Record) -> Need:
    return Need(**{**dict(row), "secondary_needs": tuple(row["secondary_needs"])})


async def save_plan_need(conn: Connection, plan: PlanDrafted, at: datetime) -> tuple[Need, bool]:
    """The plan's codes and provision; an EHC request that came first keeps the track and its
    date. Returns the need, and whether the council decided to assess (its statutory advisers
    due): one statement (issue #25: it was three, the provision and the decision apart)."""
    row = await conn.fetchrow(
        f"""INSERT INTO referral_needs ({_NEED_COLUMNS}, provision)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb)
            ON CONFLICT (referral_id) DO UPDATE SET
                plan_id = EXCLUDED.plan_id, primary_need = EXCLUDED.primary_need,
                secondary_needs = EXCLUDED.secondary_needs,
                postcode_district = EXCLUDED.postcode_district,
                school_urn = EXCLUDED.school_urn, language = EXCLUDED.language,
                track = CASE WHEN referral_needs.track = 'ehc' THEN 'ehc'
                             ELSE EXCLUDED.track END,
                statutory_due = coalesce(EXCLUDED.statutory_due, referral_needs.statutory_due),
                needed_since = coalesce(referral_needs.needed_since, EXCLUDED.needed_since),
                provision = EXCLUDED.provision
            RETURNING {_NEED_COLUMNS}, assessing_since IS NOT NULL AS assessing""",
        plan.referral_id,
        plan.local_authority,
        plan.plan_id,
        plan.primary_need,
        [str(n) for n in plan.secondary_needs],
        plan.postcode_district,
        plan.school_urn,
        plan.language,
        plan.track,
        plan.statutory_due,
        at,
        json.dumps([line.model_dump(mode="json") for line in plan.provision]),
    )
    assert row is not None
    need = {**dict(row), "secondary_needs": tuple(row["secondary_needs"])}
    assessing = bool(need.pop("assessing"))
    return Need(**need), assessing


async def mark_ehc(
    conn: Connection, referral_id: UUID, local_authority: str, final_plan_due: date
) -> Need:
    """The referral is on the EHC track now: its waits are ordered by the final plan's date."""
    row = await conn.fetchrow(
        f"""INSERT INTO referral_needs (referral_id, local_authority, track, statutory_due)
            VALUES ($1, $2, 'ehc', $3)
            ON CONFLICT (referral_id) DO UPDATE SET track = 'ehc', statutory_due = $3
            RETURNING {_NEED_COLUMNS}""",
        referral_id,
        local_authority,
        final_plan_due,
    )
    assert row is not None
    await conn.execute(
        "UPDATE waitlist SET statutory_due = $2 WHERE referral_id = $1", referral_id, final_plan_due
    )
    return _need(row)


async def mark_assessing(
    conn: Connection, referral_id: UUID, local_authority: str, decided_on: date
) -> Need:
    """The council decided to assess (on ``decided_on``): kept, so the statutory advisers
    are allocated once the child's plan is here too, whichever comes first."""
    row = await conn.fetchrow(
        f"""INSERT INTO referral_needs (referral_id, local_authority, track, assessing_since)
            VALUES ($1, $2, 'ehc', $3)
            ON CONFLICT (referral_id) DO UPDATE SET track = 'ehc',
                assessing_since = coalesce(referral_needs.assessing_since, $3)
            RETURNING {_NEED_COLUMNS}""",
        referral_id,
        local_authority,
        decided_on,
    )
    assert row is not None
    return _need(row)


async def need_of(conn: Connection, referral_id: UUID) -> Need | None:
    row = await conn.fetchrow(
        f"SELECT {_NEED_COLUMNS} FROM referral_needs WHERE referral_id = $1", referral_id
    )
    return None if row is None else _need(row)


async def roles_in_hand(conn: Connection, referral_id: UUID) -> set[str]:
    """Roles the referral has an active allocation for, or waits for."""
    rows = await conn.fetch(
        """SELECT role FROM allocations WHERE referral_id = $1 AND status = 'active'
           UNION SELECT role FROM waitlist WHERE referral_id = $1""",
        referral_id,
    )
    return {r["role"] for r in rows}


async def entries(conn: Connection, role: str, local_authority: str) -> list[Entry]:
    """Active entries of ``role`` serving the council."""
    rows = await conn.fetch(
        """SELECT id, display_name, specialism, councils, districts, settings, languages,
                  capacity, allocated_weight, active, email
           FROM specialists WHERE active AND specialism = $1 AND $2 = ANY (councils)
           ORDER BY id""",
        role,
        local_authority,
    )
    return [
        Entry(
            id=r["id"],
            display_name=r["display_name"],
            role=r["specialism"],
            councils=tuple(r["councils"]),
            districts=tuple(r["districts"]),
            settings=tuple(r["settings"]),
            languages=tuple(r["languages"]),
            capacity=r["capacity"],
            allocated=r["allocated_weight"],
            active=r["active"],
            email=r["email"],
        )
        for r in rows
    ]


async def take_places(conn: Connection, entry_id: UUID, weight: int) -> bool:
    """Take ``weight`` places of the entry if it still has them: one atomic conditional
    update, so however many transactions race for the last place, exactly one gets it (the
    others wait on the row, then see it full)."""
    taken = await conn.fetchval(
        """UPDATE specialists SET allocated_weight = allocated_weight + $2
           WHERE id = $1 AND active AND allocated_weight + $2 <= capacity RETURNING id""",
        entry_id,
        weight,
    )
    return taken is not None


async def give_back(conn: Connection, entry_id: UUID, weight: int) -> None:
    await conn.execute(
        """UPDATE specialists SET allocated_weight = greatest(allocated_weight - $2, 0)
           WHERE id = $1""",
        entry_id,
        weight,
    )


async def reweigh(conn: Connection, referral_id: UUID, places: int) -> list[UUID]:
    """The referral's active allocations count ``places`` from now (an escalated referral is a
    more complex case) where their team still has the places: never overbooked, an allocation
    whose team is full keeps its weight. Returns the allocations re-weighed (none on a
    repeat: they weigh ``places`` already)."""
    rows = await conn.fetch(
        """SELECT id, specialist_id, weight FROM allocations
           WHERE referral_id = $1 AND status = 'active' AND weight < $2 ORDER BY id""",
        referral_id,
        places,
    )
    done: list[UUID] = []
    for row in rows:
        if await take_places(conn, row["specialist_id"], places - row["weight"]):
            await conn.execute(
                "UPDATE allocations SET weight = $2 WHERE id = $1", row["id"], places
            )
            done.append(row["id"])
    return done


async def leave_waitlist(conn: Connection, referral_id: UUID) -> None:
    """The referral waits for nothing any more (it was closed)."""
    await conn.execute("DELETE FROM waitlist WHERE referral_id = $1", referral_id)


async def active_allocations(conn: Connection, referral_id: UUID) -> list[UUID]:
    """The referral's active allocations, by role: ended in this order, the waitlists' locks
    are always taken in one order."""
    rows = await conn.fetch(
        """SELECT id FROM allocations WHERE referral_id = $1 AND status = 'active'
           ORDER BY role, id""",
        referral_id,
    )
    return [r["id"] for r in rows]
