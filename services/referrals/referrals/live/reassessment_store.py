"""SQL for re-assessments and the limits of a transfer in and a re-assessment (migration 0043:
``reassessments``, ``live_plan_deadlines``)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from referrals.live import review_store
from referrals.live.annual_review import next_review_due
from referrals.live.reassessment import LivePlanDeadline, Reassessment, Stage, Taken
from shared.db import Connection


async def set_deadlines(
    conn: Connection,
    process_id: UUID,
    referral_id: UUID,
    council: str,
    sets: dict[LivePlanDeadline, date],
    meets: dict[LivePlanDeadline, date],
) -> None:
    """The limits a step sets (due) and meets (the day it was met)."""
    await conn.executemany(
        """INSERT INTO live_plan_deadlines (process_id, kind, referral_id, local_authority, due_on)
           VALUES ($1, $2, $3, $4, $5)""",
        [(process_id, kind.value, referral_id, council, due) for kind, due in sets.items()],
    )
    await conn.executemany(
        "UPDATE live_plan_deadlines SET met_on = $3 WHERE process_id = $1 AND kind = $2",
        [(process_id, kind.value, met) for kind, met in meets.items()],
    )


async def deadlines_of(conn: Connection, process_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT kind, due_on, met_on FROM live_plan_deadlines WHERE process_id = $1
           ORDER BY due_on""",
        process_id,
    )
    return [dict(row) for row in rows]


def _reassessment_of(row: asyncpg.Record) -> Reassessment:
    return Reassessment(
        id=row["id"],
        referral_id=row["referral_id"],
        local_authority=row["local_authority"],
        requested_on=row["requested_on"],
        stage=Stage(row["stage"]),
        decided_on=row["decided_on"],
    )


async def open_reassessment(conn: Connection, referral_id: UUID) -> Reassessment | None:
    """The plan's re-assessment under way (asked for, or re-assessing), locked until the
    transaction ends (its steps are taken one at a time)."""
    row = await conn.fetchrow(
        """SELECT * FROM reassessments
           WHERE referral_id = $1 AND stage IN ('requested', 'reassessing') FOR UPDATE""",
        referral_id,
    )
    return None if row is None else _reassessment_of(row)


async def store(conn: Connection, taken: Taken, requested_by: str | None = None) -> None:
    """A step taken: a request is a new row; a decision or an outcome updates it. Then the
    limits it sets and meets."""
    r = taken.reassessment
    if r.stage == Stage.REQUESTED:
        await conn.execute(
            """INSERT INTO reassessments (id, referral_id, local_authority, requested_by,
                   requested_on, stage) VALUES ($1, $2, $3, $4, $5, 'requested')""",
            r.id, r.referral_id, r.local_authority, requested_by, r.requested_on,
        )  # fmt: skip
    elif r.stage == Stage.CONCLUDED:
        event: Any = taken.event
        await conn.execute(
            """UPDATE reassessments SET stage = 'concluded', concluded_on = $2, outcome = $3
               WHERE id = $1""",
            r.id, event.concluded_on, event.outcome,
        )  # fmt: skip
    else:
        await conn.execute(
            "UPDATE reassessments SET stage = $2, decided_on = $3 WHERE id = $1",
            r.id, r.stage.value, r.decided_on,
        )  # fmt: skip
    await set_deadlines(conn, r.id, r.referral_id, r.local_authority, taken.sets, taken.meets)


async def review_after(conn: Connection, reassessment: Reassessment, issued_on: date) -> None:
    """The amended plan issued after a re-assessment is reviewed within 12 months of its issue
    (Reg 20), as a final plan issued here is: a review scheduled and not yet opened is
    replaced by one due then; a review under way goes on, and its decision sets the next."""
    if await conn.fetchval(
        """SELECT true FROM annual_reviews WHERE referral_id = $1 AND decided_on IS NULL
           AND stage <> 'scheduled'""",
        reassessment.referral_id,
    ):
        return
    await conn.execute(
        """DELETE FROM review_deadlines d USING annual_reviews a
           WHERE d.review_id = a.id AND a.referral_id = $1 AND a.stage = 'scheduled'""",
        reassessment.referral_id,
    )
    await conn.execute(
        "DELETE FROM annual_reviews WHERE referral_id = $1 AND stage = 'scheduled'",
        reassessment.referral_id,
    )
    due = next_review_due(issued_on)
    await review_store.schedule(
        conn, [(reassessment.referral_id, reassessment.local_authority, due)]
    )


async def reassessments_of(conn: Connection, referral_id: UUID) -> list[dict[str, Any]]:
    """Every re-assessment of the plan, the latest first, each with its limits."""
    rows = await conn.fetch(
        """SELECT a.*, coalesce((SELECT jsonb_agg(jsonb_build_object('kind', d.kind,
                     'due_on', d.due_on, 'met_on', d.met_on) ORDER BY d.due_on)
                   FROM live_plan_deadlines d WHERE d.process_id = a.id), '[]') AS deadlines
           FROM reassessments a WHERE a.referral_id = $1 ORDER BY a.requested_on DESC,
           a.created_at DESC""",
        referral_id,
    )
    return [{**row, "deadlines": json.loads(row["deadlines"])} for row in rows]


async def has_plan(conn: Connection, referral_id: UUID) -> bool | None:
    """Whether the referral has a plan in force (brought in, or its final plan issued); None
    when there is no such referral (or it is another council's)."""
    row = await conn.fetchrow(
        """SELECT EXISTS (SELECT FROM live_plans l WHERE l.referral_id = r.id)
                  OR EXISTS (SELECT FROM ehc_requests e
                             WHERE e.referral_id = r.id AND e.final_issued_on IS NOT NULL)
                  AS has_plan
           FROM referrals r WHERE r.id = $1""",
        referral_id,
    )
    return None if row is None else bool(row["has_plan"])
