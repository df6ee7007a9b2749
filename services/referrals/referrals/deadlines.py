"""The deadline scheduler: warns when a statutory deadline is at risk (``DEADLINE_AT_RISK_DAYS``
before it) and when it is missed, once each, to the timeline and as events for notifications.

Driven by the database, so it survives restarts and catches up after downtime: every open
deadline is a row, and each warning is marked sent in the unit of work (of the service's own:
``system:referrals``) that puts its event in the outbox, a batch of warnings at a time. Every
replica runs the loop; one at a time acts (an advisory lock), and rows are claimed with SKIP
LOCKED besides (with their referral: a caseworker's step in progress holds
it, and its deadline is looked at next time, never waited for). The day is the council's
(Europe/London) and comes from an injectable clock, so tests move time without sleeping.

Each warning is counted once it is committed (``send_statutory_deadlines_missed_total`` and
``..._at_risk_total``, by council and deadline kind): what the chart's alert watches.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from uuid import uuid4

from prometheus_client import Counter

from referrals import repository
from referrals.domain import StatutoryStep
from referrals.ehc_repository import ADVICE
from referrals.live.annual_review import ReviewDeadline
from referrals.live.reassessment import LivePlanDeadline
from referrals.statutory import AdviceKind, Deadline, warning_due
from shared.councils import ALL
from shared.dates import london_today
from shared.db import Connection
from shared.events import DeadlineAtRisk, DeadlineMissed
from shared.schedule import every, in_batches
from shared.state import ServiceState
from shared.unit_of_work import Actor, Work

_LOCK_ID = 0x5E0D_0004
BATCH = 200
REFERRALS = Actor.system("referrals")
"""The service's own work (its scheduled jobs): the council's duty, for every council."""

# Registered in each app's registry (referrals.app). Councils' codes and deadline kinds only.
MISSED = Counter(
    "send_statutory_deadlines_missed",
    "Statutory deadlines passed with their step not taken (warned once each)",
    ["local_authority", "deadline"],
    registry=None,
)
AT_RISK = Counter(
    "send_statutory_deadlines_at_risk",
    "Statutory deadlines near (DEADLINE_AT_RISK_DAYS) with their step not taken (warned once each)",
    ["local_authority", "deadline"],
    registry=None,
)


def deadline_kinds() -> list[str]:
    """Every kind a deadline row can have (the ``deadline`` label of the counters above)."""
    reviews = [d.value for d in ReviewDeadline]  # a plan's annual review (referrals.live)
    reviews.append("phase_transfer")  # its phase transfer (referrals.live.phase_transfer_watch)
    later = [d.value for d in LivePlanDeadline]  # a transfer in, a re-assessment
    return [*(d.value for d in Deadline), *(ADVICE + k.value for k in AdviceKind), *reviews, *later]


class DeadlineWatch:
    """Runs ``check`` now and then every ``interval_s``."""

    def __init__(
        self,
        *,
        at_risk_days: int,
        interval_s: float,
        idempotency_key_hours: float = 24,
        today: Callable[[], date] = london_today,
    ) -> None:
        self.at_risk_days = at_risk_days
        self.interval_s = interval_s
        self.idempotency_key_hours = idempotency_key_hours
        self.today = today

    async def run(self, state: ServiceState) -> None:
        await every(
            state,
            interval_s=self.interval_s,
            lock_id=_LOCK_ID,
            name="deadlines (warnings sent)",
            job=self.check,
        )

    async def check(self, work: Work, conn: Connection) -> int:
        """Send every warning due today (in batches); returns how many. Then forget the
        Idempotency-Keys old enough that no client still retries with them."""
        sent = await in_batches(lambda: self._check_batch(work, conn, self.today()), BATCH)
        async with work.begin(REFERRALS, councils=ALL, conn=conn) as uow:
            await repository.forget_idempotency_keys(uow.conn, self.idempotency_key_hours)
        return sent

    async def _check_batch(self, work: Work, conn: Connection, today: date) -> int:
        warned: list[tuple[Counter, str, str]] = []
        async with work.begin(REFERRALS, councils=ALL, conn=conn) as uow:
            rows = await conn.fetch(
                """SELECT d.referral_id, d.kind, d.local_authority, d.due_on, d.statutory_due_on,
                          d.at_risk_sent_on, d.missed_sent_on, e.requested_by, e.requested_on
                   FROM deadlines d JOIN ehc_requests e ON e.referral_id = d.referral_id
                   JOIN referrals r ON r.id = d.referral_id
                   WHERE d.met_on IS NULL AND NOT d.cancelled
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
                    "requested_by": row["requested_by"],
                    "ehc_requested_on": row["requested_on"],
                    "deadline": row["kind"],
                    "due_on": row["due_on"],
                    "statutory_due_on": row["statutory_due_on"],
                }
                if warning == "missed":
                    event: DeadlineAtRisk | DeadlineMissed = DeadlineMissed(**common)
                    step, column = StatutoryStep.DEADLINE_MISSED, "missed_sent_on"
                    counter = MISSED
                else:
                    days_left = (row["due_on"] - today).days
                    event = DeadlineAtRisk(**common, days_left=days_left)
                    step, column = StatutoryStep.DEADLINE_AT_RISK, "at_risk_sent_on"
                    counter = AT_RISK
                uow.add(event)
                await repository.add_step(
                    conn,
                    referral_id=row["referral_id"],
                    event_id=uuid4(),  # the timeline's key for the step; the event follows
                    step=step,
                    service="referrals",
                    occurred_at=datetime.now(UTC),
                    detail=row["kind"],
                )
                await conn.execute(
                    f"UPDATE deadlines SET {column} = $3 WHERE referral_id = $1 AND kind = $2",
                    row["referral_id"],
                    row["kind"],
                    today,
                )
                warned.append((counter, row["local_authority"], row["kind"]))
        for counter, local_authority, kind in warned:  # committed: counted once each
            counter.labels(local_authority, kind).inc()
        return len(rows)
