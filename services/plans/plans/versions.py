"""SQL for a plan's versions and the family's comments on them."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from plans.lifecycle import Plan
from shared.db import Connection


async def add(
    conn: Connection, plan: Plan, document: dict[str, Any], changed_by: str, reason: str
) -> None:
    await conn.execute(
        """INSERT INTO plan_versions (plan_id, version, referral_id, local_authority, status,
               document, changed_by, reason)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)""",
        plan.id,
        plan.version,
        plan.referral_id,
        plan.local_authority,
        plan.status,
        json.dumps(document),
        changed_by,
        reason,
    )


async def add_comments(
    conn: Connection,
    plan: Plan,
    *,
    comments: str,
    preferred_school: str | None,
    agreed: bool,
    taken_by: str,
) -> asyncpg.Record:
    """The family's comments, kept with the version they were about (``plan.version``)."""
    row = await conn.fetchrow(
        """INSERT INTO plan_comments (id, plan_id, version, referral_id, local_authority,
               comments, preferred_school, agreed, taken_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           RETURNING id, version, agreed, preferred_school, received_at""",
        uuid4(),
        plan.id,
        plan.version,
        plan.referral_id,
        plan.local_authority,
        comments,
        preferred_school,
        agreed,
        taken_by,
    )
    assert row is not None
    return row


async def listed(conn: Connection, referral_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT v.version, v.status, v.changed_by, v.reason, v.created_at,
                  (SELECT count(*) FROM plan_comments c
                   WHERE c.plan_id = v.plan_id AND c.version = v.version) AS comments
           FROM plan_versions v WHERE v.referral_id = $1 ORDER BY v.version""",
        referral_id,
    )


async def one(
    conn: Connection, referral_id: UUID, version: int
) -> tuple[asyncpg.Record, list[asyncpg.Record]] | None:
    row = await conn.fetchrow(
        """SELECT plan_id, version, status, changed_by, reason, created_at,
                  document::text AS document
           FROM plan_versions WHERE referral_id = $1 AND version = $2""",
        referral_id,
        version,
    )
    if row is None:
        return None
    comments = await conn.fetch(
        """SELECT comments, preferred_school, agreed, taken_by, received_at
           FROM plan_comments WHERE plan_id = $1 AND version = $2 ORDER BY received_at""",
        row["plan_id"],
        version,
    )
    return row, comments
