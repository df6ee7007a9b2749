"""What the bench's databases say about a phase's referrals, read as the tables' owner acting
for every council (``shared.migrations.owner_connection``): how many reached the family alert,
when each step came, and what the outboxes still hold."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit
from uuid import UUID

import asyncpg

from shared.services import EVENT_SERVICES

JOURNEY_END = "family_alerted"
"""The family's message about the match has gone: the referral's second ``message_sent``
step (the first tells them the request was received). The open loop's "kept up" and the
drain's end stay on it, through Notify or not, so figures stay comparable with earlier runs."""
DELIVERED = "family_notified"
"""Notify's receipt says that message was delivered: the referral's second ``family_notified``
step. Only a run through the local Notify has it (the log channel delivers nothing)."""
STEPS = ("plan_drafted", "matched", JOURNEY_END)
DELIVERED_STEPS = (*STEPS, DELIVERED)
"""The journey's steps of a run through Notify."""

# Each referral's family alert: when its second message was sent (the same for its delivery,
# the second message's receipt, with 'family_notified').
_SECOND = """
    SELECT referral_id, max(occurred_at) AS at, min(recorded_at) AS first_recorded,
           max(recorded_at) AS recorded
    FROM timeline WHERE step = '{step}'
    GROUP BY referral_id HAVING count(*) >= 2
"""
_ALERTED = _SECOND.format(step="message_sent")
_DELIVERED = _SECOND.format(step=DELIVERED)
"""Reported steps; specialist_assigned and waitlisted are both ``matched`` (either ends the
matching step: the seeded specialists' places run out, so most of a large run waits)."""

_STEP_LATENCIES = (
    """
WITH reached AS (
    SELECT t.referral_id,
           CASE WHEN t.step IN ('specialist_assigned', 'waitlisted') THEN 'matched'
                ELSE t.step END AS step,
           min(t.occurred_at) AS at
    FROM timeline t JOIN referrals r ON r.id = t.referral_id
    WHERE r.created_at >= $1 AND r.created_at < $2
      AND t.step NOT IN ('message_sent', 'family_notified')
    GROUP BY 1, 2
    UNION ALL
    SELECT a.referral_id, 'family_alerted', a.at
    FROM ("""
    + _ALERTED
    + """) a JOIN referrals r ON r.id = a.referral_id
    WHERE r.created_at >= $1 AND r.created_at < $2
    UNION ALL
    SELECT d.referral_id, 'family_notified', d.at
    FROM ("""
    + _DELIVERED
    + """) d JOIN referrals r ON r.id = d.referral_id
    WHERE r.created_at >= $1 AND r.created_at < $2
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
)


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
        f"""SELECT count(*) FROM ({_ALERTED}) a JOIN referrals r ON r.id = a.referral_id
            WHERE r.created_at >= $1""",
        since,
    )
    return count


async def delivered(conn: asyncpg.Connection, since: datetime) -> int:
    """Referrals stored since ``since`` whose alert Notify reported delivered."""
    count: int = await conn.fetchval(
        f"""SELECT count(*) FROM ({_DELIVERED}) d JOIN referrals r ON r.id = d.referral_id
            WHERE r.created_at >= $1""",
        since,
    )
    return count


async def span(conn: asyncpg.Connection, since: datetime) -> tuple[datetime, datetime] | None:
    """When the first referral since ``since`` was stored and the last family alert came."""
    row = await conn.fetchrow(
        f"""SELECT min(r.created_at) AS first, max(a.at) AS last
            FROM referrals r LEFT JOIN ({_ALERTED}) a ON a.referral_id = r.id
            WHERE r.created_at >= $1""",
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
        f"""SELECT a.referral_id, extract(epoch FROM a.at)::float8 AS at
            FROM ({_ALERTED}) a JOIN referrals r ON r.id = a.referral_id
            WHERE r.created_at >= $1 AND r.created_at < $2""",
        since,
        until,
    )
    return {r["referral_id"]: float(r["at"]) for r in rows}


async def alerts_recorded_since(conn: asyncpg.Connection, start: float) -> dict[UUID, float]:
    """Family alerts written to the timeline since ``start`` (epoch seconds): referral ->
    when the alert happened. By when they were written, not when they happened: an alert
    recorded late (a backlog) still turns up in a later window."""
    rows = await conn.fetch(
        f"""SELECT referral_id, extract(epoch FROM at)::float8 AS at FROM ({_ALERTED}) a
            WHERE recorded >= to_timestamp($1)""",
        start,
    )
    return {r["referral_id"]: r["at"] for r in rows}


async def outbox_backlog(urls: Mapping[str, str]) -> dict[str, int]:
    """Each service's outbox rows not yet published (``urls``: the owners' database URLs; a
    service that publishes no events, the workspace, has no outbox)."""
    backlog: dict[str, int] = {}
    for service, url in urls.items():
        if service not in EVENT_SERVICES:
            continue
        conn = await asyncpg.connect(url)
        try:
            backlog[service] = await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL"
            )
        finally:
            await conn.close()
    return backlog


async def deadlocks(urls: Mapping[str, str]) -> int:
    """ "deadlock detected" so far in this run's databases (``pg_stat_database.deadlocks``:
    each one a transaction PostgreSQL aborted to break a cycle of locks, issue #25)."""
    names = [urlsplit(url).path.lstrip("/") for url in urls.values()]
    conn = await asyncpg.connect(next(iter(urls.values())))
    try:
        return int(
            await conn.fetchval(
                "SELECT coalesce(sum(deadlocks), 0) FROM pg_stat_database WHERE datname = ANY($1)",
                names,
            )
        )
    finally:
        await conn.close()
