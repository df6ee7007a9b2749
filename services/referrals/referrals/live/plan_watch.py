"""The scheduler of a transfer in's and a re-assessment's limits (Regs 15, 24, 27): warns when
one is at risk and when it is missed, once each, to the timeline and as events
(``LivePlanDeadlineAtRisk`` / ``LivePlanDeadlineMissed``).

Driven by the database as the review scheduler is (``referrals.live.review_watch``): each
limit's ``at_risk_sent_on`` / ``missed_sent_on`` is marked in the unit of work that puts the
event in the outbox, a batch at a time, rows claimed with SKIP LOCKED, one replica acting at a
time (an advisory lock); the day comes from an injectable clock. The warnings are sent, and
counted, by the routine every clock shares (``referrals.deadline_warnings``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from referrals.deadline_warnings import Clock, DeadlineWarning, warn
from referrals.domain import StatutoryStep
from shared.dates import london_today
from shared.db import Connection
from shared.events import LivePlanDeadlineAtRisk, LivePlanDeadlineMissed
from shared.schedule import every
from shared.state import ServiceState
from shared.unit_of_work import Work

_LOCK_ID = 0x5E0D_0015


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
        return await warn(work, conn, PLAN_CLOCK, self.today(), self.at_risk_days)


PLAN_CLOCK = Clock(
    table="live_plan_deadlines",
    key=("process_id", "kind"),
    columns="""d.process_id, d.kind, d.referral_id, d.local_authority, d.due_on,
               d.at_risk_sent_on, d.missed_sent_on""",
    fields=lambda row: {
        "referral_id": row["referral_id"],
        "local_authority": row["local_authority"],
        "process_id": row["process_id"],
        "deadline": row["kind"],
        "due_on": row["due_on"],
    },
    at_risk=DeadlineWarning(LivePlanDeadlineAtRisk, StatutoryStep.LIVE_PLAN_DEADLINE_AT_RISK),
    missed=DeadlineWarning(LivePlanDeadlineMissed, StatutoryStep.LIVE_PLAN_DEADLINE_MISSED),
    # Reg 8's 6 weeks bind the bodies asked for advice, never the family: their own advice
    # (Reg 6(1)(a)) is never warned of (as the EHC clock gives it no deadline at all).
    still_open="d.met_on IS NULL AND d.kind <> 'advice:parent'",
)
"""A transfer in's and a re-assessment's limits."""
