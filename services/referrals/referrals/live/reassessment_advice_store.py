"""SQL for a re-assessment's advice: each adviser's limit is a row of ``live_plan_deadlines``
(migration 0043) with the re-assessment's id and kind ``advice:<kind>``, so the watch of every
re-assessment limit (``referrals.live.plan_watch``) and the caseload's next deadline see it."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from referrals.live.reassessment import Reassessment
from referrals.live.reassessment_advice import ADVICE
from referrals.statutory import Needs
from shared.db import Connection
from shared.events import Sen2Need


async def limits_of(conn: Connection, reassessment_id: UUID) -> dict[str, date]:
    """The advice asked for in the re-assessment: each adviser's limit's day, by kind of
    advice."""
    rows = await conn.fetch(
        """SELECT kind, due_on FROM live_plan_deadlines
           WHERE process_id = $1 AND kind LIKE 'advice:%'""",
        reassessment_id,
    )
    return {row["kind"].removeprefix(ADVICE): row["due_on"] for row in rows}


async def ask(conn: Connection, reassessment: Reassessment, limits: dict[str, date]) -> None:
    """The advisers' limits the advice asked for sets."""
    await conn.executemany(
        """INSERT INTO live_plan_deadlines (process_id, kind, referral_id, local_authority, due_on)
           VALUES ($1, $2, $3, $4, $5)""",
        [
            (reassessment.id, kind, reassessment.referral_id, reassessment.local_authority, due)
            for kind, due in limits.items()
        ],
    )


async def receive(conn: Connection, reassessment_id: UUID, kind: str, on: date) -> bool:
    """The adviser's limit met on ``on``; False when it was met already (received before)."""
    done = await conn.fetchval(
        """UPDATE live_plan_deadlines SET met_on = $3
           WHERE process_id = $1 AND kind = $2 AND met_on IS NULL RETURNING true""",
        reassessment_id, kind, on,
    )  # fmt: skip
    return bool(done)


async def child_of(conn: Connection, referral_id: UUID) -> tuple[Needs, date | None]:
    """The child's needs (the primary first) and date of birth: the advice the law requires
    depends on them (Reg 6(1))."""
    row = await conn.fetchrow(
        """SELECT r.primary_need, r.secondary_needs, c.date_of_birth
           FROM referrals r JOIN children c ON c.id = r.child_id WHERE r.id = $1""",
        referral_id,
    )
    if row is None:
        return (), None
    needs = (row["primary_need"], *(row["secondary_needs"] or ()))
    return tuple(Sen2Need(n) for n in needs if n is not None), row["date_of_birth"]
