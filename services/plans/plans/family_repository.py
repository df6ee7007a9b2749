"""SQL for what a family sees: the plan row as stored, and when the family's links were
revoked. ``store_plan`` writes a plan in today's document shape (tests, and drafting's)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from plans.document import PlanDocument
from shared.db import Connection


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
    conn: Connection, referral_id: UUID, local_authority: str, valid_after: datetime
) -> None:
    """Links issued before ``valid_after`` stop opening the plan (a later revocation wins)."""
    await conn.execute(
        """INSERT INTO family_link_revocations (referral_id, local_authority, valid_after)
           VALUES ($1, $2, $3)
           ON CONFLICT (referral_id) DO UPDATE
           SET valid_after = GREATEST(family_link_revocations.valid_after, EXCLUDED.valid_after)""",
        referral_id,
        local_authority,
        valid_after,
    )


async def link_current(conn: Connection, referral_id: UUID, issued_at: datetime) -> bool:
    """Whether a link issued at ``issued_at`` came after the referral's last revocation."""
    valid_after: datetime | None = await conn.fetchval(
        "SELECT valid_after FROM family_link_revocations WHERE referral_id = $1", referral_id
    )
    return valid_after is None or issued_at >= valid_after
