"""SQL for ceasing a plan (migration 0040): the cessation under way, each step's columns, and
what a plan's ceasing does to its annual reviews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from referrals.live import review_store
from referrals.live.annual_review import next_review_due
from referrals.live.ceasing import OPEN, Cessation, Stage
from shared.db import Connection


@dataclass(frozen=True)
class PlanInForce:
    """What proposing to cease needs of the plan: its council, the child's date of birth (the
    grounds depend on age) and the review that decided to cease, if one did."""

    local_authority: str
    born: date | None
    review_id: UUID | None


async def plan_in_force(conn: Connection, referral_id: UUID) -> PlanInForce | None:
    """The referral's EHC plan, if one is in force (a final plan issued here, or a plan brought
    in) and not ceased; the latest review's id when it decided to cease and no proposal
    followed it yet."""
    row = await conn.fetchrow(
        """SELECT r.local_authority, c.date_of_birth,
                  (SELECT a.id FROM annual_reviews a
                   WHERE a.referral_id = r.id AND a.decided_on IS NOT NULL
                   ORDER BY a.decided_on DESC, a.due_on DESC LIMIT 1) AS review_id,
                  (SELECT a.decision FROM annual_reviews a
                   WHERE a.referral_id = r.id AND a.decided_on IS NOT NULL
                   ORDER BY a.decided_on DESC, a.due_on DESC LIMIT 1) AS decision
           FROM referrals r JOIN children c ON c.id = r.child_id
           WHERE r.id = $1
             AND (EXISTS (SELECT FROM ehc_requests e
                          WHERE e.referral_id = r.id AND e.final_issued_on IS NOT NULL)
                  OR EXISTS (SELECT FROM live_plans l WHERE l.referral_id = r.id))
             AND NOT EXISTS (SELECT FROM plan_cessations p
                             WHERE p.referral_id = r.id AND p.stage = 'ceased')""",
        referral_id,
    )
    if row is None:
        return None
    review = row["review_id"] if row["decision"] == "cease" else None
    if review is not None and await conn.fetchval(
        "SELECT true FROM plan_cessations WHERE review_id = $1", review
    ):
        review = None  # that review's proposal was made already
    return PlanInForce(row["local_authority"], row["date_of_birth"], review)


def cessation_of(row: asyncpg.Record) -> Cessation:
    return Cessation(
        id=row["id"],
        referral_id=row["referral_id"],
        local_authority=row["local_authority"],
        reason=row["reason"],
        proposed_on=row["proposed_on"],
        views_by=row["views_by"],
        stage=Stage(row["stage"]),
        review_id=row["review_id"],
        consulted_on=row["consulted_on"],
        decided_on=row["decided_on"],
        mediation_certificate_on=row["mediation_certificate_on"],
        appeal_lodged_on=row["appeal_lodged_on"],
        ceased_on=row["ceased_on"],
    )


async def under_way(conn: Connection, referral_id: UUID) -> Cessation | None:
    """The plan's cessation under way, locked until the transaction ends (its steps are taken
    one at a time)."""
    row = await conn.fetchrow(
        "SELECT * FROM plan_cessations WHERE referral_id = $1 AND stage = ANY($2) FOR UPDATE",
        referral_id,
        [s.value for s in OPEN],
    )
    return None if row is None else cessation_of(row)


async def cessations_of(conn: Connection, referral_id: UUID) -> list[dict[str, Any]]:
    """Every proposal to cease the plan, the latest first."""
    rows = await conn.fetch(
        "SELECT * FROM plan_cessations WHERE referral_id = $1 ORDER BY proposed_on DESC, "
        "created_at DESC",
        referral_id,
    )
    return [dict(row) for row in rows]


async def add(conn: Connection, cessation: Cessation) -> None:
    await conn.execute(
        """INSERT INTO plan_cessations (id, referral_id, local_authority, review_id, reason, stage,
               proposed_on, views_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        cessation.id,
        cessation.referral_id,
        cessation.local_authority,
        cessation.review_id,
        cessation.reason,
        cessation.stage.value,
        cessation.proposed_on,
        cessation.views_by,
    )


async def save(conn: Connection, cessation: Cessation, **more: object) -> None:
    """A step taken: the stage and the dates the domain keeps, the appeal date as they leave
    it, and the step's other columns (``more``: the views, the decision and its note...)."""
    extra = "".join(f", {name} = ${i}" for i, name in enumerate(more, start=10))
    await conn.execute(
        f"""UPDATE plan_cessations SET stage = $2, consulted_on = $3, decided_on = $4,
                mediation_certificate_on = $5, appeal_lodged_on = $6, ceased_on = $7,
                appeal_by = $8, views_by = $9{extra}
            WHERE id = $1""",
        cessation.id,
        cessation.stage.value,
        cessation.consulted_on,
        cessation.decided_on,
        cessation.mediation_certificate_on,
        cessation.appeal_lodged_on,
        cessation.ceased_on,
        cessation.appeal_by,
        cessation.views_by,
        *more.values(),
    )


async def end_reviews(conn: Connection, referral_id: UUID) -> None:
    """The plan ceased: no review is scheduled for it any more, and no review limit watched
    (a review the scheduler has not opened goes; an open one's limits are met by nothing)."""
    await conn.execute(
        """DELETE FROM review_deadlines d USING annual_reviews a
           WHERE d.review_id = a.id AND a.referral_id = $1 AND a.decided_on IS NULL""",
        referral_id,
    )
    await conn.execute(
        "DELETE FROM annual_reviews WHERE referral_id = $1 AND stage = 'scheduled'", referral_id
    )


async def keep_reviewing(conn: Connection, cessation: Cessation, today: date) -> None:
    """The plan continues (decided not to cease, or the appeal upheld): when a review's decision
    to cease left it with no review to come, the next is due 12 months from that review's
    meeting (Reg 20), or from today where the meeting is not known."""
    if await conn.fetchval(
        "SELECT true FROM annual_reviews WHERE referral_id = $1 AND decided_on IS NULL",
        cessation.referral_id,
    ):
        return
    held = None
    if cessation.review_id is not None:
        held = await conn.fetchval(
            "SELECT held_on FROM annual_reviews WHERE id = $1", cessation.review_id
        )
    due = next_review_due(held or today)
    await review_store.schedule(conn, [(cessation.referral_id, cessation.local_authority, due)])
