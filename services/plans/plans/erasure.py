"""Retention in plans: when referrals erases a child's personal details (their council's
retention period has passed: ``ChildDetailsErased``), the plan's copies of what people wrote
about the child go too, in every version: the views in A, the referrer's words in B, the
free-text sections (C, D, H1, H2, I, J), the lines a caseworker wrote in E, F and G, the
advisers' summaries in K, the family's comments and the school they asked for, and any
words still waiting for a draft. What came from the national standards (generic, never about
one child), the codes and the dates stay, as referrals keeps its codes and dates. Idempotent: a
repeat finds nothing left to erase (and so is not audited again)."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from plans import children
from shared.db import Connection

RETENTION = "retention"
"""Whose work an erasure is, in the audit trail: ``system:retention``, as in every service."""
ERASED = "erased"
_FREE_TEXT = ("A", "C", "D", "H1", "H2", "I", "J")
_CASEWORKER_LINE = {"E": ("text", "measure"), "F": ("support", "delivered_by", "where")}
_CASEWORKER_LINE["G"] = _CASEWORKER_LINE["F"]
_ADVISERS_SUMMARY = ("needs", "outcomes_sought", "provision_recommended")


def erased_document(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` (any shape plans has stored) without what people wrote about the child."""
    erased = dict(document)
    for key in _FREE_TEXT:
        if isinstance(erased.get(key), str):
            erased[key] = ERASED
    if isinstance(erased.get("B"), list):
        erased["B"] = [
            {**need, "in_the_referrers_words": None}
            if isinstance(need, dict) and need.get("in_the_referrers_words") is not None
            else need
            for need in erased["B"]
        ]
    for key, fields in _CASEWORKER_LINE.items():
        if isinstance(erased.get(key), list):
            erased[key] = [
                {**line, **dict.fromkeys(fields, ERASED)}
                if isinstance(line, dict) and line.get("standard_id") == "caseworker"
                else line
                for line in erased[key]
            ]
    if isinstance(erased.get("K"), list):
        erased["K"] = [
            {**line, **{f: ERASED for f in _ADVISERS_SUMMARY if line.get(f) is not None}}
            if isinstance(line, dict)
            else line
            for line in erased["K"]
        ]
    return erased


async def erase_child_details(conn: Connection, referral_id: UUID) -> bool:
    """Erase the referral's personal words from its plan, its versions, the family's comments,
    any words waiting for a draft and the child's name and date of birth; ``False`` when there
    were none left (done before)."""
    plan = await conn.fetchrow(
        "SELECT id, sections::text FROM support_plans WHERE referral_id = $1 FOR UPDATE",
        referral_id,
    )
    erased = 0
    if plan is not None:
        sections = json.loads(plan["sections"])
        if (document := erased_document(sections)) != sections:
            await conn.execute(
                "UPDATE support_plans SET sections = $2::jsonb WHERE id = $1",
                plan["id"],
                json.dumps(document),
            )
            erased += 1
    versions = await conn.fetch(
        "SELECT plan_id, version, document::text FROM plan_versions WHERE referral_id = $1",
        referral_id,
    )
    changed = [
        (v["plan_id"], v["version"], json.dumps(document))
        for v in versions
        if (document := erased_document(stored := json.loads(v["document"]))) != stored
    ]
    await conn.executemany(
        "UPDATE plan_versions SET document = $3::jsonb WHERE plan_id = $1 AND version = $2",
        changed,
    )
    comments = await conn.fetchval(
        """WITH erased AS (
               UPDATE plan_comments SET comments = $2, preferred_school = NULL
               WHERE referral_id = $1 AND (comments <> $2 OR preferred_school IS NOT NULL)
               RETURNING 1)
           SELECT count(*) FROM erased""",
        referral_id,
        ERASED,
    )
    inputs = await conn.fetchval(
        """WITH gone AS (DELETE FROM plan_inputs WHERE referral_id = $1 RETURNING 1)
           SELECT count(*) FROM gone""",
        referral_id,
    )
    named = await children.forget(conn, referral_id)
    return bool(erased + len(changed) + comments + inputs + named)
