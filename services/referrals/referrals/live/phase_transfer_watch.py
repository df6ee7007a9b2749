"""The phase transfer scheduler (Reg 18): works out each plan's next transfer from the child's
date of birth where none is set, opens the transfer's review ``open_days`` before its deadline
(the autumn term before, so the review and the amended plan naming the next setting can be done
before 15 February; the review's meeting is then due by the deadline at the latest), and warns
when the deadline is at risk and when it is missed, once each, to the timeline and as events.

Driven by the database as the review scheduler is (``referrals.live.review_watch``): each
mark (``review_opened_on``, ``at_risk_sent_on``, ``missed_sent_on``) is set in the unit of work
that puts the event in the outbox, a batch at a time, rows claimed with SKIP LOCKED, one replica
acting at a time (an advisory lock); the day comes from an injectable clock. Warnings are sent
by the routine every clock shares (``referrals.deadline_warnings``), the counters' deadline
label ``phase_transfer``.

(Longer than most modules: the scheduler's three jobs share its lock, clock and batches, as
the review scheduler's two do; apart, each would repeat them.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from referrals.deadline_warnings import BATCH, REFERRALS, Clock, DeadlineWarning, warn
from referrals.domain import StatutoryStep
from referrals.live import phase_transfer_store
from referrals.live.annual_review import ReviewDeadline
from referrals.live.phase_transfer import born_from_still_to_move, next_transfer
from referrals.live.review_watch import _step
from shared.councils import ALL
from shared.dates import london_today
from shared.db import Connection
from shared.events import (
    AnnualReviewOpened,
    PhaseTransferDeadlineAtRisk,
    PhaseTransferDeadlineMissed,
)
from shared.schedule import every, in_batches
from shared.state import ServiceState
from shared.unit_of_work import UnitOfWork, Work

_LOCK_ID = 0x5E0D_0018
DEADLINE = "phase_transfer"
"""The counters' deadline label of a phase transfer's deadline."""


class TransferWatch:
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
            name="phase transfers (worked out, reviews opened, warnings sent)",
            job=self.check,
        )

    async def check(self, work: Work, conn: Connection) -> int:
        """Work out, open and warn whatever is due today; returns how many rows it handled."""
        today = self.today()
        done = await in_batches(lambda: self._work_out(work, conn, today), BATCH)
        done += await in_batches(lambda: self._open(work, conn, today), BATCH)
        return done + await warn(work, conn, TRANSFER_CLOCK, today, self.at_risk_days)

    async def _work_out(self, work: Work, conn: Connection, today: date) -> int:
        """Plans in force (a review to come) with no transfer still to come: the next one by
        the date of birth (children past every move are left out, so a batch never repeats)."""
        async with work.begin(REFERRALS, councils=ALL, conn=conn) as uow:
            rows = await conn.fetch(
                """SELECT r.id, r.local_authority, c.date_of_birth
                   FROM referrals r JOIN children c ON c.id = r.child_id
                   WHERE c.date_of_birth >= $2
                     AND EXISTS (SELECT FROM annual_reviews a
                                 WHERE a.referral_id = r.id AND a.decided_on IS NULL)
                     AND NOT EXISTS (SELECT FROM phase_transfers t WHERE t.referral_id = r.id
                                     AND make_date(t.transfer_year, 9, 1) > $1)
                   LIMIT $3 FOR UPDATE OF r SKIP LOCKED""",
                today,
                born_from_still_to_move(today),
                BATCH,
            )
            for row in rows:
                transfer = next_transfer(row["date_of_birth"], today)
                assert transfer is not None  # born on or after born_from_still_to_move
                event = await phase_transfer_store.set_transfer(
                    conn, row["id"], row["local_authority"], transfer, "date_of_birth", today
                )
                uow.add(event)
                await _step(uow, row["id"], StatutoryStep.PHASE_TRANSFER_SET, _detail(event))
        return len(rows)

    async def _open(self, work: Work, conn: Connection, today: date) -> int:
        """Transfers whose review opens by today: the plan's review to come is opened now, its
        meeting due by the transfer's deadline at the latest. A plan reviewed in the window
        already (or with no review to come) is only marked."""
        async with work.begin(REFERRALS, councils=ALL, conn=conn) as uow:
            rows = await conn.fetch(
                """SELECT t.referral_id, t.transfer_year, t.local_authority, t.due_on,
                          a.id AS review_id, a.opened_on, a.due_on AS review_due,
                          EXISTS (SELECT FROM annual_reviews d WHERE d.referral_id = t.referral_id
                                  AND d.decided_on >= t.due_on - $2::int) AS reviewed
                   FROM phase_transfers t
                   LEFT JOIN annual_reviews a
                     ON a.referral_id = t.referral_id AND a.decided_on IS NULL
                   WHERE t.review_opened_on IS NULL AND t.met_on IS NULL
                     AND t.due_on - $2::int <= $1 AND make_date(t.transfer_year, 9, 1) > $1
                   ORDER BY t.due_on LIMIT $3
                   FOR UPDATE OF t SKIP LOCKED""",
                today,
                self.open_days,
                BATCH,
            )
            for row in rows:
                if row["review_id"] is not None and not row["reviewed"]:
                    await self._open_review(uow, conn, row, today)
                await conn.execute(
                    """UPDATE phase_transfers SET review_opened_on = $3
                       WHERE referral_id = $1 AND transfer_year = $2""",
                    row["referral_id"],
                    row["transfer_year"],
                    today,
                )
        return len(rows)

    async def _open_review(self, uow: UnitOfWork, conn: Connection, row: Any, today: date) -> None:
        due = min(row["review_due"], row["due_on"])
        await conn.execute(
            """UPDATE annual_reviews SET due_on = $2, stage = CASE WHEN opened_on IS NULL
                   THEN 'opened' ELSE stage END, opened_on = coalesce(opened_on, $3)
               WHERE id = $1""",
            row["review_id"],
            due,
            today,
        )
        await conn.execute(
            """UPDATE review_deadlines SET due_on = $3, at_risk_sent_on = NULL,
                   missed_sent_on = NULL
               WHERE review_id = $1 AND kind = $2 AND met_on IS NULL AND due_on > $3""",
            row["review_id"],
            ReviewDeadline.MEETING.value,
            due,
        )
        if row["opened_on"] is None:  # opened now (not by the review scheduler before)
            uow.add(
                AnnualReviewOpened(
                    referral_id=row["referral_id"],
                    local_authority=row["local_authority"],
                    review_id=row["review_id"],
                    review_due=due,
                )
            )
            await _step(uow, row["referral_id"], StatutoryStep.ANNUAL_REVIEW_OPENED, None)


def _detail(event: Any) -> str:
    """The timeline's detail of a transfer's step: its kind and year."""
    return f"{event.kind} {event.transfer_year}"


TRANSFER_CLOCK = Clock(
    table="phase_transfers",
    key=("referral_id", "transfer_year"),
    columns="d.*",
    fields=lambda row: {
        "referral_id": row["referral_id"],
        "local_authority": row["local_authority"],
        "kind": row["kind"],
        "transfer_year": row["transfer_year"],
        "due_on": row["due_on"],
    },
    at_risk=DeadlineWarning(PhaseTransferDeadlineAtRisk, StatutoryStep.PHASE_TRANSFER_AT_RISK),
    missed=DeadlineWarning(PhaseTransferDeadlineMissed, StatutoryStep.PHASE_TRANSFER_MISSED),
    detail=lambda _, event: _detail(event),
    deadline=lambda _: DEADLINE,
)
"""A phase transfer's deadline (before 15 February of the year of the move; 31 March from
secondary school to a post-16 institution)."""
