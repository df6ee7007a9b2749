"""A provider's limits, shared by every replica through PostgreSQL: a token bucket per GOV.UK
Notify API key (3,000 requests a minute), and a pause while the provider refuses (429) or is
down, doubling from 1 s while it keeps failing. The rows name a key by a hash, never the key."""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.db import Connection


async def take(
    conn: Connection, key: str, *, now: datetime, per_minute: int | None, burst: int
) -> float:
    """Take one request's token; returns 0 when it may go, else the seconds to wait."""
    granted, waits = await take_many(conn, key, 1, now=now, per_minute=per_minute, burst=burst)
    return 0.0 if granted else waits[0]


async def take_many(
    conn: Connection, key: str, n: int, *, now: datetime, per_minute: int | None, burst: int
) -> tuple[int, list[float]]:
    """Take up to ``n`` requests' tokens at once (a sender's round): how many may go now, and
    for each of the others, in turn, the seconds until its token will be there."""
    capacity = float(min(burst, per_minute or burst))
    # Refilled at (limit - burst) a minute: a full bucket spent at once plus a minute's refill
    # never passes the limit in any 60-second window.
    rate = max(((per_minute or 0) - capacity) / 60.0, 0.01) if per_minute else None
    await conn.execute(
        """INSERT INTO provider_limits (key, tokens, refilled_at) VALUES ($1, $2, $3)
           ON CONFLICT (key) DO NOTHING""",
        key,
        capacity,
        now,
    )
    row = await conn.fetchrow(
        """UPDATE provider_limits SET
               tokens = CASE WHEN $4::float8 IS NULL THEN tokens ELSE LEAST($3,
                   tokens + GREATEST(EXTRACT(EPOCH FROM $2 - refilled_at), 0) * $4) END,
               refilled_at = GREATEST(refilled_at, $2)
           WHERE key = $1
           RETURNING tokens, paused_until""",
        key,
        now,
        capacity,
        rate,
    )
    assert row is not None  # inserted above
    if row["paused_until"] is not None and row["paused_until"] > now:
        paused: datetime = row["paused_until"]
        return 0, [(paused - now).total_seconds()] * n
    if rate is None:
        return n, []
    tokens = float(row["tokens"])
    granted = min(n, max(int(tokens), 0))
    if granted:
        await conn.execute(
            "UPDATE provider_limits SET tokens = tokens - $2 WHERE key = $1", key, granted
        )
    left = tokens - granted
    return granted, [(turn - left) / rate for turn in range(1, n - granted + 1)]


async def pause(
    conn: Connection,
    key: str,
    *,
    now: datetime,
    max_s: float,
    retry_after_s: float | None = None,
) -> datetime:
    """Pause the provider after a refusal or an outage; returns until when."""
    failures = await conn.fetchval(
        """INSERT INTO provider_limits (key, tokens, refilled_at, failures) VALUES ($1, 0, $2, 1)
           ON CONFLICT (key) DO UPDATE SET failures = provider_limits.failures + 1, tokens = 0
           RETURNING failures""",
        key,
        now,
    )
    wait = retry_after_s if retry_after_s is not None else min(2.0 ** (failures - 1), max_s)
    until = now + timedelta(seconds=wait)
    await conn.execute(
        """UPDATE provider_limits SET paused_until = GREATEST(coalesce(paused_until, $2), $2)
           WHERE key = $1""",
        key,
        until,
    )
    return until


async def recovered(conn: Connection, key: str) -> None:
    """The provider answered: the next failure pauses for 1 s again."""
    await conn.execute(
        "UPDATE provider_limits SET failures = 0 WHERE key = $1 AND failures > 0", key
    )
