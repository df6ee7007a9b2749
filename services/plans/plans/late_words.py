"""A referral marked ``described`` waits for the referrer's words (their own topic) before its
plan is drafted. If the words never come (lost upstream, dead-lettered), the child must not go
without a plan: after ``wait`` the plan is drafted from the referral alone, and the words, if
they come later, are not used (a caseworker adds them to section B). Every replica runs it, one
at a time acts (an advisory lock); rows are claimed with SKIP LOCKED."""

from __future__ import annotations

from datetime import timedelta

from plans import repository
from plans.handlers import draft_for
from shared.councils import ALL, act_for
from shared.db import Connection, Database
from shared.events import ReferralReceived
from shared.outbox import Outbox
from shared.schedule import every, in_batches

_LOCK_ID = 0x5E0D_0011
BATCH = 100


class LateWordsWatch:
    def __init__(self, *, wait: timedelta, interval_s: float) -> None:
        self.wait = wait
        self.interval_s = interval_s

    async def run(self, database: Database, outbox: Outbox) -> None:
        await every(
            database,
            interval_s=self.interval_s,
            lock_id=_LOCK_ID,
            name="plans drafted without the referrer's words",
            work=lambda conn: self.check(conn, outbox),
        )

    async def check(self, conn: Connection, outbox: Outbox) -> int:
        """Draft every plan whose words are later than ``wait``; returns how many."""
        return await in_batches(lambda: self._batch(conn, outbox), BATCH)

    async def _batch(self, conn: Connection, outbox: Outbox) -> int:
        async with conn.transaction():
            await act_for(conn, ALL)  # the service's own duty, for every council it serves
            rows = await conn.fetch(
                """SELECT referral_id, local_authority, received::text AS received
                   FROM plan_inputs
                   WHERE received IS NOT NULL AND described IS NULL
                     AND created_at < now() - $1::interval
                   ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED""",
                self.wait,
                BATCH,
            )
            for row in rows:
                referral = ReferralReceived.model_validate_json(row["received"])
                await repository.forget_inputs(conn, referral.referral_id)
                if await repository.has_plan(conn, referral.referral_id):
                    continue
                events = await draft_for(conn, referral, None)
                await outbox.add(conn, events, local_authority=row["local_authority"])
        return len(rows)
