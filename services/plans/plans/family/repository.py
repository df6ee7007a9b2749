"""SQL for what a family sees: the plan row as stored, and when the family's links were
revoked. ``store_plan`` writes a plan in today's document shape (tests, and drafting's)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from plans.document import PlanDocument
from shared.db import Connection
from shared.family_links import FamilyLink


async def plan_row(conn: Connection, referral_id: UUID) -> dict[str, Any] | None:
    """The referral's plan row as JSON, every column (versions, dates and comment periods
    other parts of the service add come with it); None when there is none (or it is another
    council's: row-level security)."""
    found = await conn.fetchval(
        "SELECT to_jsonb(p)::text FROM support_plans p WHERE referral_id = $1", referral_id
    )
    return None if found is None else dict(json.loads(found))


async def store_plan(
    conn: Connection,
    *,
    plan_id: UUID,
    referral_id: UUID,
    local_authority: str,
    status: str,
    document: PlanDocument,
) -> None:
    """Store (or replace) the referral's plan with ``document`` as its sections."""
    primary = next((n for n in document.B if n.primary), None)
    roles = document.roles()
    await conn.execute(
        """INSERT INTO support_plans (id, referral_id, local_authority, primary_need,
               area_of_need, specialism, status, sections)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
           ON CONFLICT (referral_id) DO UPDATE SET status = EXCLUDED.status,
               sections = EXCLUDED.sections""",
        plan_id,
        referral_id,
        local_authority,
        primary.code.value if primary else "",
        primary.area if primary else "",
        roles[0].value if roles else "",
        status,
        json.dumps(document.model_dump(mode="json")),
    )


async def links_revoked(
    conn: Connection,
    referral_id: UUID,
    local_authority: str,
    *,
    generation: int,
    revoked_at: datetime,
) -> None:
    """Links of a generation before ``generation`` stop opening the plan (the highest heard
    of wins, whatever order revocations arrive in). Generation 0 is a revocation made before
    generations were counted: links issued before ``revoked_at`` stop instead."""
    await conn.execute(
        """INSERT INTO family_link_revocations AS r
               (referral_id, local_authority, generation, valid_after)
           VALUES ($1, $2, $3, CASE WHEN $3 = 0 THEN $4 ELSE '-infinity'::timestamptz END)
           ON CONFLICT (referral_id) DO UPDATE
           SET generation = GREATEST(r.generation, EXCLUDED.generation),
               valid_after = GREATEST(r.valid_after, EXCLUDED.valid_after)""",
        referral_id,
        local_authority,
        generation,
        revoked_at,
    )


async def link_current(conn: Connection, link: FamilyLink) -> bool:
    """Whether ``link`` is of the latest generation of the referral's links heard of here
    (and, for a revocation made before generations were counted, was issued after it)."""
    current: bool | None = await conn.fetchval(
        """SELECT $2 >= generation AND $3 >= valid_after
           FROM family_link_revocations WHERE referral_id = $1""",
        link.referral_id,
        link.generation,
        link.issued_at,
    )
    return current is None or current
