"""An import of live plans checked against what referrals holds already: the case ids brought
in before (with their fingerprints), and the children known here (the same child by NHS
number, or one with an open referral, who cannot be brought in again). A query per check for
the whole file."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from referrals.intake import name_key
from referrals.live.import_file import Location, Place, Problem
from referrals.live.plan_row import LivePlanIn
from referrals.schemas import Child
from shared.db import Connection


class AtPlace(Protocol):
    """Where a row is in its file (a plans or an open requests file)."""

    def at(self, field: tuple[str | int, ...]) -> Location: ...


class ChildRow(Protocol):
    """A row that brings a child in: a live plan or an open request."""

    @property
    def case_id(self) -> str: ...
    @property
    def local_authority(self) -> str: ...
    @property
    def child(self) -> Child: ...


async def brought_in_before(
    conn: Connection, rows: list[tuple[Place, LivePlanIn]]
) -> dict[tuple[str, str], tuple[UUID, str]]:
    found = await conn.fetch(
        """SELECT l.local_authority, l.case_id, l.referral_id, l.fingerprint
           FROM live_plans l
           JOIN unnest($1::text[], $2::text[]) AS f(council, case_id)
             ON l.local_authority = f.council AND l.case_id = f.case_id""",
        [p.local_authority for _, p in rows],
        [p.case_id for _, p in rows],
    )
    return {
        (r["local_authority"], r["case_id"]): (r["referral_id"], r["fingerprint"]) for r in found
    }


async def known_children(
    conn: Connection, new: Sequence[tuple[AtPlace, ChildRow]]
) -> tuple[dict[str, UUID], list[Problem]]:
    """Children known here by NHS number (the same details: their record is used), and the
    rows that cannot be brought in: another child's NHS number, or a child with an open
    referral here (by NHS number, or name, date of birth and postcode)."""
    numbered = [(place, plan) for place, plan in new if plan.child.nhs_number]
    known = await conn.fetch(
        """SELECT c.id, c.local_authority, c.nhs_number, c.name_key, c.date_of_birth,
                  EXISTS (SELECT FROM referrals r WHERE r.child_id = c.id
                          AND r.closed_at IS NULL) AS open
           FROM children c
           JOIN unnest($1::text[], $2::text[]) AS f(council, nhs_number)
             ON c.local_authority = f.council AND c.nhs_number = f.nhs_number""",
        [p.local_authority for _, p in numbered],
        [p.child.nhs_number for _, p in numbered],
    )
    by_number = {(r["local_authority"], r["nhs_number"]): r for r in known}
    named = await conn.fetch(
        """SELECT c.local_authority, c.name_key, c.date_of_birth, c.postcode
           FROM children c JOIN referrals r ON r.child_id = c.id AND r.closed_at IS NULL
           JOIN unnest($1::text[], $2::text[], $3::date[], $4::text[])
                AS f(council, name_key, born, postcode)
             ON c.local_authority = f.council AND c.name_key = f.name_key
            AND c.date_of_birth = f.born AND c.postcode = f.postcode
           WHERE c.erased_at IS NULL""",
        [p.local_authority for _, p in new],
        [name_key(p.child.given_name, p.child.family_name) for _, p in new],
        [p.child.date_of_birth for _, p in new],
        [str(p.child.postcode) for _, p in new],
    )
    open_by_name = {tuple(r.values()) for r in named}
    children: dict[str, UUID] = {}
    problems: list[Problem] = []
    for place, plan in new:
        child = plan.child
        key = name_key(child.given_name, child.family_name)
        record = by_number.get((plan.local_authority, child.nhs_number or ""))
        if (plan.local_authority, key, child.date_of_birth, str(child.postcode)) in open_by_name:
            problems.append((place.at(("child",)), "this child already has an open referral here"))
        elif record is not None and (record["name_key"], record["date_of_birth"]) != (
            key,
            child.date_of_birth,
        ):
            problems.append(
                (
                    place.at(("child", "nhs_number")),
                    "this NHS number belongs to a child known here with another name or date "
                    "of birth: check the number and the child's details",
                )
            )
        elif record is not None and record["open"]:
            problems.append((place.at(("child",)), "this child already has an open referral here"))
        elif record is not None:
            children[plan.case_id] = record["id"]
    return children, problems
