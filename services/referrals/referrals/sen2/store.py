"""The SEN2 return's records read from the database (the events' record): every child of
the council with an EHC request, or a plan, that the return's year touches."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from uuid import UUID

import asyncpg

from referrals.sen2.record import Person, Plan, Request, Review, validated
from shared.db import Connection

_REQUESTS = """
SELECT r.id AS referral_id, r.child_id, e.requested_on, e.requested_by, e.escalated,
       e.assessment_decision, e.assessment_decided_on, e.plan_decision, e.plan_decided_on,
       e.final_issued_on, e.named_school_urn, r.school_urn, r.primary_need, r.secondary_needs,
       (e.mediation_asked_on IS NOT NULL AND e.mediation_asked_on <= $2) AS mediation,
       EXISTS (SELECT FROM statutory_exceptions x WHERE x.referral_id = e.referral_id)
           AS with_exception
FROM ehc_requests e JOIN referrals r ON r.id = e.referral_id
WHERE e.local_authority = $1 AND e.requested_on <= $2
  AND NOT coalesce(e.assessment_decision = 'refuse' AND e.assessment_decided_on < $3, false)
  AND NOT coalesce(e.plan_decision = 'not_issue' AND e.plan_decided_on < $3, false)
ORDER BY e.requested_on, r.id"""

_LIVE_PLANS = """
SELECT l.referral_id, r.child_id, l.issued_on, l.needs, l.setting_urn, l.setting_ukprn,
       t.from_council
FROM live_plans l JOIN referrals r ON r.id = l.referral_id
LEFT JOIN transfers_in t ON t.referral_id = l.referral_id
WHERE l.local_authority = $1 AND l.issued_on <= $2"""

_REVIEWS = """
SELECT referral_id, coalesce(held_on, meeting_on) AS meeting_on, decision, decided_on
FROM annual_reviews
WHERE local_authority = $1 AND decided_on <= $2 AND referral_id = ANY($3::uuid[])
ORDER BY decided_on"""

_CESSATIONS = """
SELECT referral_id, ceased_on, reason FROM plan_cessations
WHERE local_authority = $1 AND stage = 'ceased' AND ceased_on <= $2
  AND referral_id = ANY($3::uuid[])"""

_CHILDREN = """
SELECT id, upn, given_name, family_name, date_of_birth, postcode FROM children
WHERE id = ANY($1::uuid[]) AND erased_at IS NULL"""


async def people(
    conn: Connection, local_authority: str, census_date: date, first: date
) -> list[Person]:
    """Each child with an EHC request received by the census date and not ended before
    ``first`` (the year's first day), or a plan in force by it; validated. A child erased
    under the retention policy has no details left to return and is left out."""
    requests = await conn.fetch(_REQUESTS, local_authority, census_date, first)
    live = await conn.fetch(_LIVE_PLANS, local_authority, census_date)
    plan_referrals = [r["referral_id"] for r in requests if r["final_issued_on"] is not None]
    plan_referrals += [p["referral_id"] for p in live]
    reviews: dict[UUID, list[Review]] = defaultdict(list)
    for row in await conn.fetch(_REVIEWS, local_authority, census_date, plan_referrals):
        reviews[row["referral_id"]].append(
            Review(
                meeting_on=row["meeting_on"], decision=row["decision"], decided_on=row["decided_on"]
            )
        )
    ceased: dict[UUID, tuple[date, str]] = {
        row["referral_id"]: (row["ceased_on"], row["reason"])
        for row in await conn.fetch(_CESSATIONS, local_authority, census_date, plan_referrals)
    }
    by_child: dict[UUID, list[asyncpg.Record]] = defaultdict(list)
    for row in requests:
        by_child[row["child_id"]].append(row)
    live_by_child = {p["child_id"]: p for p in live}
    children = await conn.fetch(_CHILDREN, list(by_child.keys() | live_by_child.keys()))
    found = []
    for child in sorted(children, key=lambda c: (c["family_name"], c["given_name"], c["id"])):
        rows = by_child.get(child["id"], [])
        plan = _plan(rows, live_by_child.get(child["id"]), reviews, ceased)
        found.append(
            validated(
                Person(
                    child_id=child["id"],
                    referral_id=rows[-1]["referral_id"]
                    if rows
                    else live_by_child[child["id"]]["referral_id"],
                    upn=child["upn"],
                    given_name=child["given_name"],
                    family_name=child["family_name"],
                    date_of_birth=child["date_of_birth"],
                    postcode=child["postcode"],
                    requests=tuple(_request(r) for r in rows),
                    plan=plan,
                )
            )
        )
    return found


def _request(row: asyncpg.Record) -> Request:
    return Request(
        referral_id=row["referral_id"],
        received_on=row["requested_on"],
        requested_by=row["requested_by"],
        escalated=row["escalated"],
        assessment_decision=row["assessment_decision"],
        assessment_decided_on=row["assessment_decided_on"],
        plan_decision=row["plan_decision"],
        plan_decided_on=row["plan_decided_on"],
        final_issued_on=row["final_issued_on"],
        with_exception=row["with_exception"],
        mediation=row["mediation"],
        named_setting_urn=row["named_school_urn"] or row["school_urn"],
    )


Ceased = dict[UUID, tuple[date, str]]
"""Each ceased plan's referral: the day it ceased and why (``plan_cessations``)."""


def _plan(
    rows: list[asyncpg.Record],
    live: asyncpg.Record | None,
    reviews: dict[UUID, list[Review]],
    ceased: Ceased,
) -> Plan | None:
    """The latest plan the platform issued, else the plan brought in."""
    issued = [r for r in rows if r["final_issued_on"] is not None]
    if issued:
        latest = issued[-1]
        return _with_reviews(
            latest["referral_id"],
            reviews,
            ceased,
            start_on=latest["final_issued_on"],
            needs=(latest["primary_need"], *latest["secondary_needs"]),
            setting_urn=latest["named_school_urn"] or latest["school_urn"],
            setting_ukprn=None,
            imported=False,
        )
    if live is not None:
        return _with_reviews(
            live["referral_id"],
            reviews,
            ceased,
            start_on=live["issued_on"],
            needs=tuple(live["needs"]),
            setting_urn=live["setting_urn"],
            setting_ukprn=live["setting_ukprn"],
            imported=True,
            transferred_from=live["from_council"],
        )
    return None


def _with_reviews(
    referral_id: UUID,
    reviews: dict[UUID, list[Review]],
    ceased: Ceased,
    *,
    start_on: date,
    needs: tuple[str, ...],
    setting_urn: str | None,
    setting_ukprn: str | None,
    imported: bool,
    transferred_from: str | None = None,
) -> Plan:
    decided = tuple(reviews.get(referral_id, ()))
    cease_on, cease_reason = ceased.get(referral_id, (None, None))
    return Plan(
        start_on=start_on,
        needs=needs,
        setting_urn=setting_urn,
        setting_ukprn=setting_ukprn,
        reviews=decided,
        ceased_on=cease_on,
        imported=imported,
        cease_reason=cease_reason,
        transferred_from=transferred_from,
    )
