"""SQL for referrals, children and the timeline."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid4

import asyncpg

from referrals.domain import NewReferral, Step
from shared.db import Connection


async def add_referral(
    conn: Connection,
    referral: NewReferral,
    *,
    nhs_number: str | None,
    given_name: str,
    family_name: str,
    date_of_birth: date,
) -> datetime:
    """Store the child (once per NHS number and council) and the referral; returns when it
    was recorded."""
    child_id = await conn.fetchval(
        """INSERT INTO children (id, nhs_number, given_name, family_name, date_of_birth, postcode,
               local_authority)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (local_authority, nhs_number) DO UPDATE SET postcode = EXCLUDED.postcode
           RETURNING id""",
        uuid4(),
        nhs_number,
        given_name,
        family_name,
        date_of_birth,
        str(referral.postcode),
        referral.local_authority,
    )
    clock = referral.clock
    created_at: datetime = await conn.fetchval(
        """INSERT INTO referrals (id, child_id, local_authority, requested_by, primary_need,
               postcode_district, received_on, decision_due, draft_plan_due, final_plan_due,
               status)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           RETURNING created_at""",
        referral.referral_id,
        child_id,
        referral.local_authority,
        referral.requested_by,
        referral.primary_need.value,
        referral.postcode.district,
        referral.received_on,
        clock.decision_due,
        clock.draft_plan_due,
        clock.final_plan_due,
        Step.RECEIVED.value,
    )
    return created_at


async def add_step(
    conn: Connection,
    *,
    referral_id: UUID,
    event_id: UUID,
    step: Step,
    service: str,
    occurred_at: datetime,
) -> list[Step]:
    """Record a step on the timeline; returns every step the referral has reached.

    One round trip: the referral is locked (steps of one referral are recorded one at a time),
    the step inserted, and the steps read back, in one statement. (Its final SELECT does not
    see the row its own INSERT adds, hence the UNION with what the INSERT returns.)
    """
    row = await conn.fetchrow(
        """WITH referral AS (SELECT id FROM referrals WHERE id = $1 FOR UPDATE),
                added AS (
                    INSERT INTO timeline (referral_id, event_id, step, service, occurred_at)
                    SELECT id, $2, $3, $4, $5 FROM referral
                    ON CONFLICT DO NOTHING RETURNING step)
           SELECT EXISTS (SELECT 1 FROM referral) AS known,
                  array(SELECT step FROM timeline WHERE referral_id = $1
                        UNION ALL SELECT step FROM added) AS steps""",
        referral_id,
        event_id,
        step.value,
        service,
        occurred_at,
    )
    if row is None or not row["known"]:
        raise LookupError(f"referral {referral_id} is not known here")
    return [Step(s) for s in row["steps"]]


async def set_status(conn: Connection, referral_id: UUID, status: Step) -> None:
    await conn.execute(
        "UPDATE referrals SET status = $2, updated_at = now() WHERE id = $1",
        referral_id,
        status.value,
    )


async def get_referral(
    conn: Connection, referral_id: UUID
) -> tuple[asyncpg.Record, list[asyncpg.Record]] | None:
    """The referral (no personal details) and its timeline, oldest first."""
    referral = await conn.fetchrow(
        """SELECT id, local_authority, requested_by, primary_need, received_on, decision_due,
                  draft_plan_due, final_plan_due, status, created_at, updated_at
           FROM referrals WHERE id = $1""",
        referral_id,
    )
    if referral is None:
        return None
    timeline = await conn.fetch(
        """SELECT step, service, occurred_at, event_id FROM timeline
           WHERE referral_id = $1 ORDER BY occurred_at, recorded_at""",
        referral_id,
    )
    return referral, timeline


async def revoke_family_links(conn: Connection, referral_id: UUID) -> bool:
    """Links issued until now stop working; False when the referral is not visible here."""
    result = await conn.execute(
        "UPDATE referrals SET family_links_valid_after = now() WHERE id = $1", referral_id
    )
    return result != "UPDATE 0"


async def family_link_current(conn: Connection, referral_id: UUID, issued_at: datetime) -> bool:
    """Whether a family link issued at ``issued_at`` was issued after the last revocation."""
    return bool(
        await conn.fetchval(
            "SELECT $2 >= family_links_valid_after FROM referrals WHERE id = $1",
            referral_id,
            issued_at,
        )
    )
