"""The scheduler of a transfer in's and a re-assessment's limits (Regs 15, 24, 27): warns when
one is at risk and when it is missed, once each, to the timeline and as events
(``LivePlanDeadlineAtRisk`` / ``LivePlanDeadlineMissed``).

Driven by the database as the review scheduler is (``referrals.live.review_watch``): each
limit's ``at_risk_sent_on`` / ``missed_sent_on`` is marked in the unit of work that puts the
event in the outbox, a batch at a time, rows claimed with SKIP LOCKED, one replica acting at a
time (an advisory lock); the day comes from an injectable clock. Each warning is counted once
committed in the EHC clock's counters, as the review's are."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from uuid import uuid4

from prometheus_client import Counter

from referrals import repository
from referrals.deadlines import AT_RISK, MISSED
from referrals.domain import StatutoryStep
from referrals.live.annual_review import warning_due
from shared.councils import ALL
from shared.dates import london_today
from shared.db import Connection
from shared.events import LivePlanDeadlineAtRisk, LivePlanDeadlineMissed
from shared.schedule import every, in_batches
from shared.state import ServiceState
from shared.unit_of_work import Actor, Work

_LOCK_ID = 0x5E0D_0015
BATCH = 200
REFERRALS = Actor.system("referrals")


class PlanWatch:
    """Runs ``check`` now and then every ``interval_s``."""

    def __init__(
        self, *, at_risk_days: int, interval_s: float, today: Callable[[], date] = london_today
    ) -> None:
        self.at_risk_days = at_risk_days
        self.interval_s = interval_s
        self.today = today

    async def run(self, state: ServiceState) -> None:
        await every(
            state,
            interval_s=self.interval_s,
            lock_id=_LOCK_ID,
            name="transfers in and re-assessments (warnings sent)",
            job=self.check,
        )

    async def check(self, work: Work, conn: Connection) -> int:
        """Send every warning due today (in batches); returns how many."""
        today = self.today()
        return await in_batches(lambda: self._warn(work, conn, today), BATCH)

    async def _warn(self, work: Work, conn: Connection, today: date) -> int:
        warned: list[tuple[Counter, str, str]] = []
        async with work.begin(REFERRALS, councils=ALL, conn=conn) as uow:
            rows = await conn.fetch(
                """SELECT d.process_id, d.kind, d.referral_id, d.local_authority, d.due_on,
                          d.at_risk_sent_on, d.missed_sent_on
                   FROM live_plan_deadlines d JOIN referrals r ON r.id = d.referral_id
                   WHERE d.met_on IS NULL
                     AND ((d.missed_sent_on IS NULL AND d.due_on < $1)
                          OR (d.at_risk_sent_on IS NULL AND d.due_on >= $1
                              AND d.due_on <= $1 + $2::int))
                   ORDER BY d.due_on LIMIT $3
                   FOR UPDATE OF d, r SKIP LOCKED""",
                today,
                self.at_risk_days,
                BATCH,
            )
            for row in rows:
                warning = warning_due(
                    row["due_on"],
                    today,
                    self.at_risk_days,
                    at_risk_sent=row["at_risk_sent_on"] is not None,
                    missed_sent=row["missed_sent_on"] is not None,
                )
                common = {
                    "referral_id": row["referral_id"],
                    "local_authority": row["local_authority"],
                    "process_id": row["process_id"],
                    "deadline": row["kind"],
                    "due_on": row["due_on"],
                }
                if warning == "missed":
                    event: LivePlanDeadlineAtRisk | LivePlanDeadlineMissed = (
                        LivePlanDeadlineMissed.model_validate(common)
                    )
                    step, column = StatutoryStep.LIVE_PLAN_DEADLINE_MISSED, "missed_sent_on"
                    counter = MISSED
                else:
                    event = LivePlanDeadlineAtRisk.model_validate(
                        {**common, "days_left": (row["due_on"] - today).days}
                    )
                    step, column = StatutoryStep.LIVE_PLAN_DEADLINE_AT_RISK, "at_risk_sent_on"
                    counter = AT_RISK
                uow.add(event)
                await repository.add_step(
                    conn, referral_id=row["referral_id"], event_id=uuid4(), step=step,
                    service="referrals", occurred_at=datetime.now(UTC), detail=row["kind"],
                )  # fmt: skip
                await conn.execute(
                    f"""UPDATE live_plan_deadlines SET {column} = $3
                        WHERE process_id = $1 AND kind = $2""",
                    row["process_id"],
                    row["kind"],
                    today,
                )
                warned.append((counter, row["local_authority"], row["kind"]))
        for counter, council, kind in warned:  # committed: counted once each
            counter.labels(council, kind).inc()
        return len(rows)
