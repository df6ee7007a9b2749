"""A referral marked ``described`` waits for the referrer's words (their own topic) before its
plan is drafted. If the words never come (lost upstream, dead-lettered), the child must not go
without a plan: after ``wait`` the plan is drafted from the referral alone, and the words, if
they come later, are not used (a caseworker adds them to section B). Each batch is one unit of
work of the service's own (``system:plans``); every replica runs it, one at a time acts (an
advisory lock); rows are claimed with SKIP LOCKED."""

from __future__ import annotations

from datetime import timedelta

from plans import repository
from plans.changes import PLANS
from plans.handlers import draft_for
from shared.councils import ALL
from shared.db import Connection
from shared.events import ReferralReceived
from shared.schedule import every, in_batches
from shared.state import ServiceState
from shared.unit_of_work import Work

_LOCK_ID = 0x5E0D_0011
BATCH = 100


class LateWordsWatch:
    def __init__(self, *, wait: timedelta, interval_s: float) -> None:
        self.wait = wait
        self.interval_s = interval_s

    async def run(self, state: ServiceState) -> None:
        await every(
            state,
            interval_s=self.interval_s,
            lock_id=_LOCK_ID,
            name="plans drafted without the referrer's words",
            job=self.check,
        )

    async def check(self, work: Work, conn: Connection) -> int:
        """Draft every plan whose words are later than ``wait``; returns how many."""
        return await in_batches(lambda: self._batch(work, conn), BATCH)

    async def _batch(self, work: Work, conn: Connection) -> int:
        # The service's own duty, for every council it serves.
        async with work.begin(PLANS, councils=ALL, conn=conn) as uow:
            rows = await uow.conn.fetch(
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
                await repository.forget_inputs(uow.conn, referral.referral_id)
                if await repository.has_plan(uow.conn, referral.referral_id):
                    continue
                uow.add(*await draft_for(uow, referral, None))
        return len(rows)
