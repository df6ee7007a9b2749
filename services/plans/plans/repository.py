"""SQL for support plans: the plan as it stands (``support_plans``; every version of it is in
``versions``) and the referral events a plan waits for."""

from __future__ import annotations

import json
from typing import Any, Literal
from uuid import UUID

import asyncpg

from plans import versions
from plans.checks import CheckResult
from plans.document import PlanDocument
from plans.domain import SupportPlan
from plans.lifecycle import Plan
from shared import referral_locks
from shared.db import Connection
from shared.events import ReferralDescribed, ReferralReceived

_FIELDS = (
    "id", "referral_id", "local_authority", "track", "status", "version", "issue_decided",
    "final_plan_due", "comments_until", "no_more_comments", "review_due_on", "amending_review",
)  # fmt: skip
_PLAN_COLUMNS = ", ".join(_FIELDS)


async def add_draft(conn: Connection, plan: SupportPlan, *, reason: str = "drafted") -> bool:
    """Store a draft with its checks, as version 1 (``reason``: why, kept with the version);
    False when the referral already has a plan. One statement, the document serialised once
    (issue #25: the plan and its first version were two, the document serialised for each)."""
    added = await conn.fetchval(
        """WITH added AS (
               INSERT INTO support_plans (id, referral_id, local_authority, primary_need,
                   area_of_need, specialism, status, sections, track, checks,
                   catalogue_versions, final_plan_due, referral, school_urn)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10::jsonb, $11, $12,
                       $13::jsonb, $14)
               ON CONFLICT (referral_id) DO NOTHING RETURNING id)
           INSERT INTO plan_versions (plan_id, version, referral_id, local_authority, status,
               document, changed_by, reason)
           SELECT id, 1, $2, $3, $7, $8::jsonb, 'plans', $15 FROM added
           RETURNING true""",
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
        plan.final_plan_due,
        None if plan.referral is None else plan.referral.model_dump_json(),
        None if plan.referral is None else plan.referral.school_urn,
        reason,
    )
    return bool(added)


async def wait_for_referral(conn: Connection, referral_id: UUID) -> None:
    """Hold the referral's lock until the transaction ends: its two events, handled at once on
    two topics, take turns, so the second sees what the first committed (no statement when
    its consumed batch holds the lock already: ``shared.referral_locks``)."""
    await referral_locks.lock_referral(conn, str(referral_id))


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
                  catalogue_versions, created_at, version, final_plan_due, comments_until,
                  no_more_comments, review_due_on, issue_decided
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
               checks = COALESCE($11::jsonb, checks), amending_review = $12
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
        plan.amending_review,
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


async def drafted_from(conn: Connection, plan_id: UUID) -> ReferralReceived | None:
    """The referral event a plan was drafted from (kept for a draft needing attention)."""
    found = await conn.fetchval("SELECT referral::text FROM support_plans WHERE id = $1", plan_id)
    return None if found is None else ReferralReceived.model_validate_json(found)
