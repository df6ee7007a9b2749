"""SQL for support plans: the plan as it stands (``support_plans``); every version of it is in
``versions``."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import asyncpg

from plans import versions
from plans.checks import CheckResult
from plans.document import PlanDocument
from plans.domain import SupportPlan, sections_of
from plans.lifecycle import Plan
from shared.db import Connection

_FIELDS = (
    "id", "referral_id", "local_authority", "track", "status", "version", "issue_decided",
    "final_plan_due", "comments_until", "no_more_comments", "review_due_on",
)  # fmt: skip
_PLAN_COLUMNS = ", ".join(_FIELDS)


async def add_draft(conn: Connection, plan: SupportPlan) -> bool:
    """Store a draft as version 1; False when the referral already has a plan."""
    added = await conn.fetchval(
        """INSERT INTO support_plans (id, referral_id, local_authority, primary_need,
               area_of_need, specialism, status, sections, track, final_plan_due)
           VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7::jsonb, $8, $9)
           ON CONFLICT (referral_id) DO NOTHING RETURNING true""",
        plan.id,
        plan.referral_id,
        plan.local_authority,
        plan.primary_need.value,
        plan.standard.area_of_need,
        plan.standard.specialism,
        json.dumps(sections_of(plan)),
        plan.track,
        plan.final_plan_due,
    )
    if added:
        state = Plan(plan.id, plan.referral_id, plan.local_authority, plan.track, "draft", 1)
        await versions.add(conn, state, sections_of(plan), "plans", "drafted")
    return bool(added)


async def plan_for_referral(conn: Connection, referral_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT id, referral_id, local_authority, primary_need, area_of_need, specialism,
                  status, sections::text AS sections, created_at, track, version,
                  checks::text AS checks, final_plan_due, comments_until, no_more_comments,
                  review_due_on, issue_decided
           FROM support_plans WHERE referral_id = $1""",
        referral_id,
    )


def plan_of(row: asyncpg.Record) -> Plan:
    return Plan(**{k: row[k] for k in _FIELDS})


async def load(conn: Connection, referral_id: UUID) -> tuple[Plan, dict[str, Any]] | None:
    """The referral's plan, locked for a change, and its document as stored."""
    row = await conn.fetchrow(
        f"""SELECT {_PLAN_COLUMNS}, sections::text AS sections FROM support_plans
            WHERE referral_id = $1 FOR UPDATE""",
        referral_id,
    )
    if row is None:
        return None
    return plan_of(row), json.loads(row["sections"])


async def save(
    conn: Connection,
    plan: Plan,
    document: PlanDocument | dict[str, Any],
    *,
    changed_by: str,
    reason: str,
    checks: list[CheckResult] | None = None,
) -> None:
    """The plan as it now stands, and the version it is (``plan.version``)."""
    sections = document.model_dump(mode="json") if isinstance(document, PlanDocument) else document
    await conn.execute(
        """UPDATE support_plans SET track = $2, status = $3, version = $4, sections = $5::jsonb,
               issue_decided = $6, final_plan_due = $7, comments_until = $8,
               no_more_comments = $9, review_due_on = $10, updated_at = now(),
               checks = COALESCE($11::jsonb, checks)
           WHERE id = $1""",
        plan.id,
        plan.track,
        plan.status,
        plan.version,
        json.dumps(sections),
        plan.issue_decided,
        plan.final_plan_due,
        plan.comments_until,
        plan.no_more_comments,
        plan.review_due_on,
        None if checks is None else json.dumps([c.model_dump() for c in checks]),
    )
    await versions.add(conn, plan, sections, changed_by, reason)


async def set_dates(conn: Connection, referral_id: UUID, **columns: object) -> bool:
    """Facts from the statutory process that are not a change to the plan (no new version):
    the decision to issue it, the statutory date. False when no plan."""
    allowed = {"issue_decided", "final_plan_due"}
    assert set(columns) <= allowed, columns
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(columns, start=2))
    done = await conn.fetchval(
        f"UPDATE support_plans SET {sets} WHERE referral_id = $1 RETURNING true",
        referral_id,
        *columns.values(),
    )
    return bool(done)


def sections_json(row: asyncpg.Record) -> dict[str, Any]:
    sections: dict[str, Any] = json.loads(row["sections"])
    return sections
