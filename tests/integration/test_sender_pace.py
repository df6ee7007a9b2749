"""The sender's pace under a provider's limits, on real PostgreSQL and a local GOV.UK Notify:
the tokens a round takes, the messages it holds back and the attempts it records are one
transaction, and each message held back is due when its own token will be there, so it is not
claimed and put back again and again meanwhile."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from shared.db import Database
from tests.integration.messaging import COUNCIL, Clock, database, db, owner_url, referral, stack

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
