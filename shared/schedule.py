"""A service's scheduled work, driven by the database: every replica runs the loop, one at a
time acts (a PostgreSQL advisory lock), and a run missed while the service was down is done at
the next start. Outages are logged and the next run tried as usual."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from shared.db import Connection
from shared.state import ServiceState
from shared.unit_of_work import Work

logger = logging.getLogger(__name__)


async def every(
    state: ServiceState,
    *,
    interval_s: float,
    lock_id: int,
    name: str,
    job: Callable[[Work, Connection], Awaitable[int]],
) -> None:
    """Run ``job`` now and then every ``interval_s`` until cancelled, with the service's units
    of work (``state.work``) on a connection holding the job's lock; ``job`` returns how many
    things it did (logged when any). A scheduled job's ``run(state)`` is this one call."""
    while True:
        try:
            async with state.work.pool().acquire() as conn:
                if await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock_id):
                    try:
                        done = await job(state.work, conn)
                        if done:
                            logger.info("%s: %d done", name, done)
                    finally:
                        await conn.execute("SELECT pg_advisory_unlock($1)", lock_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # an outage: try again next time
            logger.warning("%s failed: %s", name, type(exc).__name__)
        await asyncio.sleep(interval_s)


async def in_batches(batch: Callable[[], Awaitable[int]], size: int) -> int:
    """Run ``batch`` (one transaction claiming at most ``size`` rows) until one finds fewer:
    the backlog is done. Returns how many rows were handled in all."""
    done = 0
    while True:
        handled = await batch()
        done += handled
        if handled < size:
            return done
