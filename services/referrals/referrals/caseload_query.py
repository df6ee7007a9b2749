"""The caseload's one query: the council's referrals with the child's name and date of birth,
the nearest open deadline first, narrowed by filters (track, stage, deadlines at risk or
missed, a specialists registry entry, waiting for a specialist) and by a search (reference,
NHS number or name).

Built with only the conditions asked for, not one statement with every condition made
optional (``$1 IS NULL OR ...``): a prepared statement's generic plan cannot drop the
conditions that are off, and scans what an index would find.

(Longer than most modules: one query, its every filter beside the others, each clock's limits
among the deadlines' states.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal
from uuid import UUID

import asyncpg

from referrals.intake import name_key
from shared.db import Connection

DeadlineState = Literal["at_risk", "missed"]

_REFERENCE = re.compile(r"^[0-9a-fA-F]{8}$")
_SEPARATORS = re.compile(r"[\s\-'\u2019]+")
"""What parts the words of a name, as the migration's trigger splits them (child_name_words:
hyphens, apostrophes, spaces; a name holds no other space, ``intake.person_name``)."""


@dataclass(frozen=True)
class Filters:
    """What a caseworker narrows the caseload to; every field off by default."""

    status: str | None = None
    due_before: date | None = None
    track: str | None = None
    deadlines: frozenset[DeadlineState] = frozenset()
    team: UUID | None = None
    waiting: bool = False
    needs_triage: bool = False
    include_closed: bool = False


@dataclass(frozen=True)
class Search:
    """What a search text can be: an NHS number (10 digits, spaces or dashes allowed), a
    reference (the 8 characters of the referral's id the pages show, or the whole id), and
    otherwise a name (each word the start of a word of the child's name, in any order)."""

    nhs_number: str | None = None
    ids: tuple[UUID, UUID] | None = None
    name_words: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, text: str) -> Search:
        text = text.strip()
        digits = re.sub(r"[\s\-]", "", text)
        if len(digits) == 10 and digits.isascii() and digits.isdigit():
            return cls(nhs_number=digits)
        try:
            whole = UUID(text)
        except ValueError:
            pass
        else:
            return cls(ids=(whole, whole))
        words = tuple(w for w in _SEPARATORS.split(name_key(text, "")) if w)
        if _REFERENCE.match(text):  # eight letters a-f may be a name too: either matches
            low = text.lower()
            ids = (
                UUID(f"{low}-0000-0000-0000-000000000000"),
                UUID(f"{low}-ffff-ffff-ffff-ffffffffffff"),
            )
            return cls(ids=ids, name_words=words)
        return cls(name_words=words)


class _Where:
    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.args: list[object] = []

    def arg(self, value: object) -> str:
        self.args.append(value)
        return f"${len(self.args)}"


def _filtered(where: _Where, filters: Filters, today: date, at_risk_days: int) -> None:
    if not filters.include_closed:
        where.conditions.append("r.closed_at IS NULL")
    if filters.track is not None:
        where.conditions.append(f"r.track = {where.arg(filters.track)}")
    if filters.needs_triage:
        where.conditions.append("r.primary_need IS NULL")
    if filters.status is not None:
        status = where.arg(filters.status)
        where.conditions.append(f"(r.status = {status} OR e.stage = {status})")
    if filters.due_before is not None:
        where.conditions.append(f"r.next_due_on < {where.arg(filters.due_before)}")
    states = []
    if "missed" in filters.deadlines:
        states.append(f"r.next_due_on < {where.arg(today)}")
    if "at_risk" in filters.deadlines:
        start, end = where.arg(today), where.arg(today + timedelta(days=at_risk_days))
        states.append(
            f"""EXISTS (SELECT FROM deadlines d WHERE d.referral_id = r.id
                       AND d.met_on IS NULL AND NOT d.cancelled
                       AND d.due_on BETWEEN {start} AND {end})"""
        )
        states.append(  # a plan's annual review (referrals.live): its limits too
            f"""EXISTS (SELECT FROM review_deadlines v WHERE v.referral_id = r.id
                       AND v.met_on IS NULL AND v.due_on BETWEEN {start} AND {end})"""
        )
        states.append(  # a transfer's and a re-assessment's limits (referrals.live)
            f"""EXISTS (SELECT FROM live_plan_deadlines l WHERE l.referral_id = r.id
                       AND l.met_on IS NULL AND l.due_on BETWEEN {start} AND {end})"""
        )
        states.append(  # a phase transfer's amended plan (Reg 18)
            f"""EXISTS (SELECT FROM phase_transfers p WHERE p.referral_id = r.id
                       AND p.met_on IS NULL AND p.due_on BETWEEN {start} AND {end})"""
        )
    if states:
        where.conditions.append(f"({' OR '.join(states)})")
    if filters.team is not None:
        where.conditions.append(
            f"""EXISTS (SELECT FROM specialist_allocations a WHERE a.referral_id = r.id
                       AND a.specialist_id = {where.arg(filters.team)}
                       AND a.assigned_at IS NOT NULL AND a.ended_at IS NULL)"""
        )
    if filters.waiting:
        where.conditions.append(
            "r.support_ended_at IS NULL AND EXISTS "
            "(SELECT FROM specialist_waits w WHERE w.referral_id = r.id)"
        )


def _searched(where: _Where, search: Search) -> None:
    found = []
    if search.nhs_number is not None:
        found.append(f"c.nhs_number = {where.arg(search.nhs_number)}")
    if search.ids is not None:
        found.append(f"r.id BETWEEN {where.arg(search.ids[0])} AND {where.arg(search.ids[1])}")
    if search.name_words:
        # The children with each word at the start of a word of their name (child_name_words,
        # kept by a trigger), found first: the intersection of one index lookup a word.
        each = " INTERSECT ".join(
            f"SELECT child_id FROM child_name_words WHERE word ^@ {where.arg(w)}"
            for w in search.name_words
        )
        found.append(f"(c.erased_at IS NULL AND c.id = ANY (ARRAY ({each})))")
    # Nothing to look for (a text of separators only) finds nothing, not everything.
    where.conditions.append(f"({' OR '.join(found) or 'false'})")


def statement(
    filters: Filters,
    *,
    today: date,
    at_risk_days: int,
    limit: int,
    offset: int,
    search: Search | None = None,
) -> tuple[str, list[object]]:
    """The caseload's SQL and its parameters: a page and one more row (is there another)."""
    where = _Where()
    _filtered(where, filters, today, at_risk_days)
    if search is not None:
        _searched(where, search)
    conditions = " AND ".join(where.conditions) or "true"
    # The conditions are this module's own text; every value is a parameter.
    # next_due_on: the nearest open deadline, kept on the referral (migration 0012), so the
    # order is an index's (referrals_caseload) and a page stops at its end.
    sql = f"""SELECT r.id, r.track, r.status, e.stage AS ehc_stage, r.local_authority,
                     r.received_on, r.next_deadline, r.next_due_on,
                     CASE WHEN c.erased_at IS NULL THEN c.given_name END AS given_name,
                     CASE WHEN c.erased_at IS NULL THEN c.family_name END AS family_name,
                     c.date_of_birth, r.primary_need IS NULL AS needs_triage,
                     (SELECT p.stage FROM plan_cessations p WHERE p.referral_id = r.id
                      ORDER BY p.created_at DESC LIMIT 1) AS ceasing
              FROM referrals r
              JOIN children c ON c.id = r.child_id
              LEFT JOIN ehc_requests e ON e.referral_id = r.id
              WHERE {conditions}
              ORDER BY r.next_due_on, r.received_on, r.id
              LIMIT {where.arg(limit + 1)} OFFSET {where.arg(offset)}"""
    return sql, where.args


async def caseload(
    conn: Connection,
    filters: Filters,
    *,
    today: date,
    at_risk_days: int,
    limit: int,
    offset: int,
    search: Search | None = None,
) -> tuple[list[asyncpg.Record], bool]:
    """A page of the caseload, and whether there is another after it."""
    sql, args = statement(
        filters, today=today, at_risk_days=at_risk_days, limit=limit, offset=offset, search=search
    )
    rows = await conn.fetch(sql, *args)
    return rows[:limit], len(rows) > limit
