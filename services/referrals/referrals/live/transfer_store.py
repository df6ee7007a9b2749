"""SQL for plans transferred in from another council (migration 0043: ``transfers_in``), and
the annual review's date Reg 15 sets for them."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from referrals.live.annual_review import ReviewDeadline
from referrals.live.transfer_in import Transfer
from shared.db import Connection


async def add(conn: Connection, transfer: Transfer, decide_by: date) -> None:
    await conn.execute(
        """INSERT INTO transfers_in (id, referral_id, local_authority, from_council,
               transferred_on, decide_by, review_due_on) VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        transfer.id, transfer.referral_id, transfer.local_authority, transfer.from_council,
        transfer.transferred_on, decide_by, transfer.review_due,
    )  # fmt: skip


async def review_due_on(conn: Connection, referral_id: UUID, due: date) -> None:
    """The plan's scheduled annual review (and its meeting's deadline) due when Reg 15 says,
    not the import's 12 months."""
    await conn.execute(
        "UPDATE live_plans SET review_due_on = $2 WHERE referral_id = $1", referral_id, due
    )
    review_id = await conn.fetchval(
        """UPDATE annual_reviews SET due_on = $2 WHERE referral_id = $1 AND decided_on IS NULL
           RETURNING id""",
        referral_id,
        due,
    )
    await conn.execute(
        "UPDATE review_deadlines SET due_on = $3 WHERE review_id = $1 AND kind = $2",
        review_id,
        ReviewDeadline.MEETING.value,
        due,
    )


async def transfer_of(conn: Connection, referral_id: UUID) -> Transfer | None:
    """The plan's transfer in, locked until the transaction ends."""
    row = await conn.fetchrow(
        "SELECT * FROM transfers_in WHERE referral_id = $1 FOR UPDATE", referral_id
    )
    if row is None:
        return None
    return Transfer(
        row["id"], row["referral_id"], row["local_authority"], row["from_council"],
        row["transferred_on"], row["review_due_on"], row["told_on"],
    )  # fmt: skip


async def told(conn: Connection, transfer_id: UUID, told_on: date, reassess: bool) -> None:
    await conn.execute(
        "UPDATE transfers_in SET told_on = $2, reassess = $3 WHERE id = $1",
        transfer_id,
        told_on,
        reassess,
    )


async def view_of(conn: Connection, referral_id: UUID) -> dict[str, Any] | None:
    """The transfer as the API shows it, with its limit."""
    row = await conn.fetchrow(
        """SELECT t.id, t.referral_id, t.from_council, t.transferred_on, t.decide_by,
                  t.review_due_on AS review_due, t.told_on, t.reassess, d.met_on
           FROM transfers_in t LEFT JOIN live_plan_deadlines d
             ON d.process_id = t.id AND d.kind = 'transfer_decision'
           WHERE t.referral_id = $1""",
        referral_id,
    )
    return None if row is None else dict(row)
