"""SQL for support plans and the referral events a plan waits for."""

from __future__ import annotations

import json
from typing import Literal
from uuid import UUID

import asyncpg

from plans.domain import SupportPlan
from shared.db import Connection
from shared.events import ReferralDescribed, ReferralReceived


async def add_draft(conn: Connection, plan: SupportPlan) -> bool:
    """Store a draft with its checks; False when the referral already has a plan."""
    added = await conn.fetchval(
        """INSERT INTO support_plans (id, referral_id, local_authority, primary_need,
               area_of_need, specialism, status, sections, track, checks, catalogue_versions)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10::jsonb, $11)
           ON CONFLICT (referral_id) DO NOTHING RETURNING true""",
        plan.id,
        plan.referral_id,
        plan.local_authority,
        plan.primary_need.value,
        plan.area_of_need,
        plan.lead_role.value,
        plan.status,
        plan.document.model_dump_json(),
        plan.track,
        json.dumps([c.model_dump(mode="json") for c in plan.checks]),
        plan.document.catalogue_versions,
    )
    return bool(added)


async def wait_for_referral(conn: Connection, referral_id: UUID) -> None:
    """Hold the referral's lock until the transaction ends: its two events, handled at once on
    two topics, take turns, so the second sees what the first committed."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", str(referral_id))


async def has_plan(conn: Connection, referral_id: UUID) -> bool:
    found = await conn.fetchval(
        "SELECT true FROM support_plans WHERE referral_id = $1", referral_id
    )
    return bool(found)


async def keep_input(
    conn: Connection,
    local_authority: str,
    event: ReferralReceived | ReferralDescribed,
) -> tuple[ReferralReceived | None, ReferralDescribed | None]:
    """Keep one of a described referral's two events; returns both as now kept (the other is
    None until it has come). Call it holding the referral's lock (``wait_for_referral``)."""
    column: Literal["received", "described"] = (
        "received" if isinstance(event, ReferralReceived) else "described"
    )
    row = await conn.fetchrow(
        f"""INSERT INTO plan_inputs (referral_id, local_authority, {column})
            VALUES ($1, $2, $3::jsonb)
            ON CONFLICT (referral_id) DO UPDATE SET {column} = EXCLUDED.{column}
            RETURNING received::text, described::text""",  # column: one of two constants
        event.referral_id,
        local_authority,
        event.model_dump_json(),
    )
    assert row is not None  # INSERT ... RETURNING always returns the row
    received, described = row["received"], row["described"]
    return (
        None if received is None else ReferralReceived.model_validate_json(received),
        None if described is None else ReferralDescribed.model_validate_json(described),
    )


async def forget_inputs(conn: Connection, referral_id: UUID) -> None:
    """The referrer's words are in the plan now: the kept events go."""
    await conn.execute("DELETE FROM plan_inputs WHERE referral_id = $1", referral_id)


async def plan_for_referral(conn: Connection, referral_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT id, referral_id, local_authority, primary_need, area_of_need, specialism,
                  status, track, sections::text AS sections, checks::text AS checks,
                  catalogue_versions, created_at
           FROM support_plans WHERE referral_id = $1""",
        referral_id,
    )
