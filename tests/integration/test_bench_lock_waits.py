"""The bench's count of the time sessions waited for locks (``scripts.bench.lock_waits``):
a session held up by another's lock is counted for its own service and kind of lock, and
nothing is counted once the lock is released (#25)."""

from __future__ import annotations

import asyncio

import asyncpg

from scripts.bench.lock_waits import ADVISORY, OTHER, LockWaits
from tests.conftest import Databases

KEY = 7_250_025


async def _sample_until_counted(waits: LockWaits, conn: asyncpg.Connection) -> None:
    """Sample until a waiting session is counted (PostgreSQL shows the wait once the blocked
    statement has reached the lock), for at most 10 s."""
    async with asyncio.timeout(10):
        while not sum(waits.waiting.values()):
            await waits.sample(conn)


async def test_a_session_waiting_for_another_s_advisory_lock_is_counted_for_its_service(
    databases: Databases,
) -> None:
    urls = await databases.fresh_for_services("lockwaits")
    waits = LockWaits(urls, interval_s=0.25)
    holder = await asyncpg.connect(urls["notifications"])
    waiter = await asyncpg.connect(urls["notifications"])
    sampler = await asyncpg.connect(urls["referrals"])
    try:
        await waits.sample(sampler)  # nobody waiting yet
        assert sum(waits.waiting.values()) == 0

        holding = holder.transaction()
        await holding.start()
        await holder.execute("SELECT pg_advisory_xact_lock($1)", KEY)
        blocked = asyncio.create_task(waiter.execute("SELECT pg_advisory_lock($1)", KEY))
        await _sample_until_counted(waits, sampler)

        assert waits.waiting == {("notifications", ADVISORY): 1}
        assert waits.seconds("notifications") == 0.25
        assert waits.seconds("notifications", OTHER) == 0
        assert waits.seconds("referrals") == 0

        await holding.rollback()  # the lock goes with the transaction; the waiter gets it
        await blocked
        counted = sum(waits.waiting.values())
        await waits.sample(sampler)
        assert sum(waits.waiting.values()) == counted
    finally:
        for conn in (holder, waiter, sampler):
            await conn.close()


async def test_sampling_in_the_background_counts_a_row_lock_wait_and_reports_it(
    databases: Databases,
) -> None:
    urls = await databases.fresh_for_services("lockwaits_rows")
    holder = await asyncpg.connect(urls["plans"])
    waiter = await asyncpg.connect(urls["plans"])
    try:
        await holder.execute("CREATE TABLE waits_probe (id int PRIMARY KEY, n int)")
        await holder.execute("INSERT INTO waits_probe VALUES (1, 0)")
        holding = holder.transaction()
        await holding.start()
        await holder.execute("UPDATE waits_probe SET n = n + 1 WHERE id = 1")
        blocked = asyncio.create_task(
            waiter.execute("UPDATE waits_probe SET n = n + 1 WHERE id = 1")
        )
        async with LockWaits(urls, interval_s=0.05).sampling() as waits:
            async with asyncio.timeout(10):
                while not waits.seconds("plans"):  # noqa: ASYNC110  # the sampler has no event
                    await asyncio.sleep(0.05)
        await holding.commit()
        await blocked

        assert waits.seconds("plans", OTHER) > 0
        assert waits.seconds("plans", ADVISORY) == 0
        line = waits.line()
        assert "plans " in line
        assert line.endswith("; 0% of it for advisory locks")
        assert waits.elapsed_s > 0
    finally:
        await holder.close()
        await waiter.close()
