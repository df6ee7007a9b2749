"""The review scheduler: a plan whose review date has come (the earliest outcome's review on the
support track, the annual review of an EHC plan) becomes review_due, once, with its event for
the timeline and the family's message. Driven by the database (the status is the mark), so it
survives restarts and catches up; each batch is one unit of work of the service's own (each
plan marked audited as ``system:plans`` through its event); every replica runs it, one at a
time acts (an advisory lock), rows claimed with SKIP LOCKED. The day comes from an injectable
clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from plans import repository
from plans.changes import PLANS
from shared.councils import ALL
from shared.dates import london_today
from shared.db import Connection
from shared.schedule import every, in_batches
from shared.state import ServiceState
from shared.unit_of_work import Work

_LOCK_ID = 0x5E0D_0010
BATCH = 200


class ReviewWatch:
    def __init__(self, *, interval_s: float, today: Callable[[], date] = london_today) -> None:
        self.interval_s = interval_s
        self.today = today

    async def run(self, state: ServiceState) -> None:
        await every(
            state,
            interval_s=self.interval_s,
            lock_id=_LOCK_ID,
            name="plan reviews (due)",
            job=self.check,
        )

    async def check(self, work: Work, conn: Connection) -> int:
        """Mark every plan whose review is due today or before; returns how many."""
        return await in_batches(lambda: self._batch(work, conn, self.today()), BATCH)

    async def _batch(self, work: Work, conn: Connection, today: date) -> int:
        # The service's own duty, for every council it serves.
        async with work.begin(PLANS, councils=ALL, conn=conn) as uow:
            rows = await uow.conn.fetch(
                """SELECT id, referral_id, local_authority, track, status, version,
                          issue_decided, final_plan_due, comments_until, no_more_comments,
                          review_due_on, amending_review, sections::text AS sections
                   FROM support_plans
                   WHERE status IN ('agreed', 'final') AND review_due_on <= $1
                   ORDER BY review_due_on LIMIT $2 FOR UPDATE SKIP LOCKED""",
                today,
                BATCH,
            )
            for row in rows:
                due = repository.plan_of(row).review_is_due(today)
                assert due is not None
                await repository.save(
                    uow.conn, due.plan, repository.sections_json(row), changed_by="plans",
                    reason=due.reason,
                )  # fmt: skip
                uow.add(*due.events)
        return len(rows)
