"""The annual review scheduler: opens each plan's review ``open_days`` before its meeting is
due (``AnnualReviewOpened``: the caseworker arranges it), and warns when a limit of a review
(the meeting, the invitations, the report, the decision) is at risk and when it is missed, once
each, to the timeline and as events; and ceases the plans whose time to appeal a decision to
cease has passed with no appeal (``referrals.live.cessation_watch``).

Driven by the database as the EHC clock's scheduler is (``referrals.deadlines``): a review's
``opened_on`` and each deadline's ``at_risk_sent_on`` / ``missed_sent_on`` are marked in the
unit of work that puts the event in the outbox, a batch at a time, rows claimed with SKIP
LOCKED, one replica acting at a time (an advisory lock); so it survives restarts, catches up
after downtime and never warns twice. The day comes from an injectable clock. The warnings are
sent by the routine every clock shares (``referrals.deadline_warnings``), counted in the same
counters (``send_statutory_deadlines_*_total``, the deadline label the review's limit)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from referrals import repository
from referrals.deadline_warnings import BATCH, REFERRALS, Clock, DeadlineWarning, warn
from referrals.domain import StatutoryStep
from referrals.live.cessation_watch import cease_lapsed
from shared.councils import ALL
from shared.dates import london_today
from shared.db import Connection
from shared.events import AnnualReviewDeadlineAtRisk, AnnualReviewDeadlineMissed, AnnualReviewOpened
from shared.schedule import every, in_batches
from shared.state import ServiceState
from shared.unit_of_work import UnitOfWork, Work

_LOCK_ID = 0x5E0D_0022


class ReviewWatch:
    """Runs ``check`` now and then every ``interval_s``."""

    def __init__(
        self,
        *,
        open_days: int,
        at_risk_days: int,
        interval_s: float,
        today: Callable[[], date] = london_today,
    ) -> None:
        self.open_days = open_days
        self.at_risk_days = at_risk_days
        self.interval_s = interval_s
        self.today = today

    async def run(self, state: ServiceState) -> None:
        await every(
            state,
            interval_s=self.interval_s,
            lock_id=_LOCK_ID,
            name="annual reviews (opened, warnings sent)",
            job=self.check,
        )

    async def check(self, work: Work, conn: Connection) -> int:
        """Open every review due to open, send every warning due today, and cease every plan
        whose time to appeal a decision to cease has passed with no appeal; returns how many."""
        today = self.today()
        opened = await in_batches(lambda: self._open(work, conn, today), BATCH)
        warned = await warn(work, conn, REVIEW_CLOCK, today, self.at_risk_days)
        return (
            opened
            + warned
            + await in_batches(lambda: cease_lapsed(work, conn, today, BATCH), BATCH)
        )

    async def _open(self, work: Work, conn: Connection, today: date) -> int:
        async with work.begin(REFERRALS, councils=ALL, conn=conn) as uow:
            rows = await conn.fetch(
                """UPDATE annual_reviews a SET stage = 'opened', opened_on = $1
                   WHERE a.id IN (SELECT id FROM annual_reviews
                                  WHERE opened_on IS NULL AND due_on <= $2
                                  ORDER BY due_on LIMIT $3 FOR UPDATE SKIP LOCKED)
                   RETURNING a.id, a.referral_id, a.local_authority, a.due_on""",
                today,
                today + timedelta(self.open_days),
                BATCH,
            )
            for row in rows:
                uow.add(
                    AnnualReviewOpened(
                        referral_id=row["referral_id"],
                        local_authority=row["local_authority"],
                        review_id=row["id"],
                        review_due=row["due_on"],
                    )
                )
                await _step(uow, row["referral_id"], StatutoryStep.ANNUAL_REVIEW_OPENED, None)
        return len(rows)


REVIEW_CLOCK = Clock(
    table="review_deadlines",
    key=("review_id", "kind"),
    columns="""d.review_id, d.kind, d.referral_id, d.local_authority, d.due_on,
               d.at_risk_sent_on, d.missed_sent_on""",
    fields=lambda row: {
        "referral_id": row["referral_id"],
        "local_authority": row["local_authority"],
        "review_id": row["review_id"],
        "deadline": row["kind"],
        "due_on": row["due_on"],
    },
    at_risk=DeadlineWarning(AnnualReviewDeadlineAtRisk, StatutoryStep.REVIEW_DEADLINE_AT_RISK),
    missed=DeadlineWarning(AnnualReviewDeadlineMissed, StatutoryStep.REVIEW_DEADLINE_MISSED),
)
"""An annual review's limits (the meeting, the invitations, the report, the decision)."""


async def _step(
    uow: UnitOfWork, referral_id: UUID, step: StatutoryStep, detail: str | None
) -> None:
    await repository.add_step(
        uow.conn,
        referral_id=referral_id,
        event_id=uuid4(),  # the timeline's key for the step; the event follows
        step=step,
        service="referrals",
        occurred_at=datetime.now(UTC),
        detail=detail,
    )
