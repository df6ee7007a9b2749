"""The sender's pace under a provider's limits, on real PostgreSQL and a local GOV.UK Notify:
the tokens a round takes, the messages it holds back and the attempts it records are one
transaction, and each message held back is due when its own token will be there, so it is not
claimed and put back again and again meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from types import SimpleNamespace
from typing import cast

import asyncpg

from shared.db import Database
from shared.state import ServiceState
from shared.unit_of_work import Work
from tests.integration.messaging import (
    COUNCIL,
    OUTBOX,
    Clock,
    database,
    db,
    owner_url,
    referral,
    stack,
    until,
)

__all__ = ["database", "db", "owner_url"]  # fixtures


async def test_messages_over_the_limit_wait_their_own_turn_in_the_rounds_transaction(
    db: asyncpg.Pool, database: Database
) -> None:
    clock = Clock()
    async with stack(database, clock) as s:
        provider = s.sender.councils.council(COUNCIL).provider("notify")
        provider.rate_per_minute, s.sender._burst = 62, 2  # two at once, then one a second
        for _ in range(5):
            await referral(database.pool())
        assert await s.send_due() == 5
        assert len(s.notify.messages) == 2
        held = await db.fetch(
            """SELECT not_before, held_reason, xmin::text AS xmin FROM notifications
               WHERE status = 'queued' ORDER BY not_before"""
        )
        assert [r["not_before"] - clock.now for r in held] == [
            timedelta(seconds=1), timedelta(seconds=2), timedelta(seconds=3)
        ]  # fmt: skip
        assert {r["held_reason"] for r in held} == {"rate-limit"}
        bucket = await db.fetchval("SELECT xmin::text FROM provider_limits")
        assert {r["xmin"] for r in held} == {bucket}  # the tokens and the holds: one commit

        assert await s.send_due() == 0  # none due yet: nothing claimed to be put back
        clock.advance(seconds=1)
        assert await s.send_due() == 1  # the one whose token is there, and only it
        assert len(s.notify.messages) == 3
        clock.advance(seconds=2)
        assert await s.send_due() == 2
        assert len(s.notify.messages) == 5
    assert await db.fetchval("SELECT count(*) FROM notifications WHERE status = 'queued'") == 0
    references = sorted(m["reference"] for m in s.notify.messages)
    assert len(set(references)) == 5  # each exactly once


async def test_a_message_held_for_its_token_goes_when_the_token_is_there_not_at_the_next_poll(
    db: asyncpg.Pool, database: Database
) -> None:
    async with stack(database) as s:
        s.sender._wakeup.poll_interval_s = 30  # the safety net, far off
        provider = s.sender.councils.council(COUNCIL).provider("notify")
        provider.rate_per_minute, s.sender._burst = 62, 2  # two at once, then one a second
        for _ in range(3):
            await referral(database.pool())
        state = cast("ServiceState", SimpleNamespace(work=Work(database.pool, OUTBOX)))
        started = asyncio.get_running_loop().time()
        running = asyncio.create_task(s.sender.run(state))
        try:

            async def all_sent() -> bool:
                return len(s.notify.messages) == 3

            await until(all_sent, timeout_s=10, what="the held message to go")
        finally:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
        took_s = asyncio.get_running_loop().time() - started
    assert took_s < 10  # its token a second away; the poll 30 s
    held = await db.fetchval("SELECT count(*) FROM notifications WHERE held_reason IS NOT NULL")
    assert held == 0  # it was held, then sent
    references = [m["reference"] for m in s.notify.messages]
    assert len(set(references)) == 3
