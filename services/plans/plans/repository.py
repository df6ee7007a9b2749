"""SQL for support plans."""

from __future__ import annotations

import json
from uuid import UUID

import asyncpg

from plans.domain import SupportPlan, sections_of
from shared.db import Connection


async def add_draft(conn: Connection, plan: SupportPlan) -> bool:
    """Store a draft; False when the referral already has a plan."""
    added = await conn.fetchval(
        """INSERT INTO support_plans (id, referral_id, local_authority, primary_need,
               area_of_need, specialism, status, sections)
           VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7::jsonb)
           ON CONFLICT (referral_id) DO NOTHING RETURNING true""",
        plan.id,
        plan.referral_id,
        plan.local_authority,
        plan.primary_need.value,
        plan.standard.area_of_need,
        plan.standard.specialism,
        json.dumps(sections_of(plan)),
    )
    return bool(added)


async def plan_for_referral(conn: Connection, referral_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT id, referral_id, local_authority, primary_need, area_of_need, specialism,
                  status, sections::text AS sections, created_at
           FROM support_plans WHERE referral_id = $1""",
        referral_id,
    )
