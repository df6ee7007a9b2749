"""The review scheduler: a plan whose review date has come (the earliest outcome's review on the
support track, the annual review of an EHC plan) becomes review_due, once, with its event for
the timeline and the family's message. Driven by the database (the status is the mark), so it
survives restarts and catches up; each plan marked is audited (``system:plans``); every replica
runs it, one at a time acts (an advisory lock), rows claimed with SKIP LOCKED. The day comes
from an injectable clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from plans import repository
from plans.changes import london_today
from shared.audit import record_system
from shared.councils import ALL, act_for
from shared.db import Connection, Database
from shared.events import PlanReviewDue
from shared.outbox import Outbox
from shared.schedule import every, in_batches

_LOCK_ID = 0x5E0D_0010
BATCH = 200


class ReviewWatch:
    def __init__(self, *, interval_s: float, today: Callable[[], date] = london_today) -> None:
        self.interval_s = interval_s
        self.today = today

    async def run(self, database: Database, outbox: Outbox) -> None:
        await every(
            database,
            interval_s=self.interval_s,
            lock_id=_LOCK_ID,
            name="plan reviews (due)",
            work=lambda conn: self.check(conn, outbox),
        )

    async def check(self, conn: Connection, outbox: Outbox) -> int:
        """Mark every plan whose review is due today or before; returns how many."""
        return await in_batches(lambda: self._batch(conn, outbox, self.today()), BATCH)

    async def _batch(self, conn: Connection, outbox: Outbox, today: date) -> int:
        async with conn.transaction():
            await act_for(conn, ALL)  # the service's own duty, for every council it serves
            rows = await conn.fetch(
                """SELECT id, referral_id, local_authority, track, status, version,
                          issue_decided, final_plan_due, comments_until, no_more_comments,
                          review_due_on, sections::text AS sections
                   FROM support_plans
                   WHERE status IN ('agreed', 'final') AND review_due_on <= $1
                   ORDER BY review_due_on LIMIT $2 FOR UPDATE SKIP LOCKED""",
                today,
                BATCH,
            )
            for row in rows:
                plan = repository.plan_of(row)
                due = plan.review_is_due(today)
                assert due is not None
                assert plan.review_due_on is not None
                await repository.save(
                    conn, due, repository.sections_json(row), changed_by="plans",
                    reason="review due",
                )  # fmt: skip
                await record_system(
                    conn, "plans", "update", "plan",
                    referral_id=plan.referral_id, local_authority=plan.local_authority,
                )  # fmt: skip
                event = PlanReviewDue(**due.step(), review_due=plan.review_due_on)
                await outbox.add(conn, [event], local_authority=plan.local_authority)
        return len(rows)
