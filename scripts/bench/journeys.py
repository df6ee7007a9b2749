"""What the bench's databases say about a phase's referrals, read as the tables' owner (whom
row-level security does not bind): how many reached the family alert, when each step came,
and what the outboxes still hold."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

JOURNEY_END = "family_notified"
"""A referral's status is the furthest step it reached: this one is the last."""
STEPS = ("plan_drafted", "matched", "family_notified")
"""Reported steps; specialist_assigned and waitlisted are both ``matched`` (either ends the
matching step: the seeded specialists' places run out, so most of a large run waits)."""

_STEP_LATENCIES = """
WITH reached AS (
    SELECT t.referral_id,
           CASE WHEN t.step IN ('specialist_assigned', 'waitlisted') THEN 'matched'
                ELSE t.step END AS step,
           min(t.occurred_at) AS at
    FROM timeline t JOIN referrals r ON r.id = t.referral_id
    WHERE r.created_at >= $1 AND r.created_at < $2
    GROUP BY 1, 2
), latency AS (
    SELECT s.step, (extract(epoch FROM s.at - r.created_at) * 1000)::float8 AS ms
    FROM reached s JOIN referrals r ON r.id = s.referral_id
)
SELECT step, count(*) AS n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99,
       max(ms) AS max
FROM latency GROUP BY step
"""


@dataclass(frozen=True)
class StepLatency:
    """Milliseconds from the referral being stored to a step, over a phase's referrals."""

    count: int
    p50: float
    p99: float
    max: float


async def now(conn: asyncpg.Connection) -> datetime:
    """The database's clock: phases are delimited by it (``created_at`` is its ``now()``)."""
    moment: datetime = await conn.fetchval("SELECT clock_timestamp()")
    return moment


async def notified(conn: asyncpg.Connection, since: datetime) -> int:
    """Referrals stored since ``since`` that reached the family alert."""
    count: int = await conn.fetchval(
        "SELECT count(*) FROM referrals WHERE status = $1 AND created_at >= $2",
        JOURNEY_END,
        since,
    )
    return count


async def span(conn: asyncpg.Connection, since: datetime) -> tuple[datetime, datetime] | None:
    """When the first referral since ``since`` was stored and the last family alert came."""
    row = await conn.fetchrow(
        """SELECT min(r.created_at) AS first, max(t.occurred_at) AS last
           FROM referrals r LEFT JOIN timeline t ON t.referral_id = r.id AND t.step = $1
           WHERE r.created_at >= $2""",
        JOURNEY_END,
        since,
    )
    if row is None or row["first"] is None or row["last"] is None:
        return None
    return row["first"], row["last"]


async def step_latencies(
    conn: asyncpg.Connection, since: datetime, until: datetime
) -> dict[str, StepLatency]:
    """Each step's latency over the referrals stored in [since, until)."""
    rows = await conn.fetch(_STEP_LATENCIES, since, until)
    return {r["step"]: StepLatency(r["n"], r["p50"], r["p99"], r["max"]) for r in rows}


async def alerts(conn: asyncpg.Connection, since: datetime, until: datetime) -> dict[UUID, float]:
    """When (epoch seconds) each referral stored in [since, until) reached the family alert."""
    rows = await conn.fetch(
        """SELECT t.referral_id, extract(epoch FROM min(t.occurred_at))::float8 AS at
           FROM timeline t JOIN referrals r ON r.id = t.referral_id
           WHERE t.step = $1 AND r.created_at >= $2 AND r.created_at < $3
           GROUP BY t.referral_id""",
        JOURNEY_END,
        since,
        until,
    )
    return {r["referral_id"]: float(r["at"]) for r in rows}


async def alerts_recorded_since(conn: asyncpg.Connection, start: float) -> dict[UUID, float]:
    """Family alerts written to the timeline since ``start`` (epoch seconds): referral ->
    when the alert happened. By when they were written, not when they happened: an alert
    recorded late (a backlog) still turns up in a later window."""
    rows = await conn.fetch(
        """SELECT referral_id, extract(epoch FROM occurred_at)::float8 AS at FROM timeline
           WHERE step = $1 AND recorded_at >= to_timestamp($2)""",
        JOURNEY_END,
        start,
    )
    return {r["referral_id"]: r["at"] for r in rows}


async def outbox_backlog(urls: Mapping[str, str]) -> dict[str, int]:
    """Each service's outbox rows not yet published (``urls``: the owners' database URLs)."""
    backlog: dict[str, int] = {}
    for service, url in urls.items():
        conn = await asyncpg.connect(url)
        try:
            backlog[service] = await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL"
            )
        finally:
            await conn.close()
    return backlog
