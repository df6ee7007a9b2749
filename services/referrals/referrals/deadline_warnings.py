"""The one routine that warns of deadlines at risk and missed, for every clock the service
keeps: the EHC process's (``referrals.deadlines``), an annual review's
(``referrals.live.review_watch``), a transfer in's and a re-assessment's
(``referrals.live.plan_watch``) and a phase transfer's (``referrals.live.phase_transfer_watch``).

Each clock is a table of deadlines, one row each, with ``due_on``, ``met_on``,
``at_risk_sent_on`` and ``missed_sent_on``; what differs between them is said once, in its
``Clock``: the table and its key, what else the warning needs (a join, a condition), the
events built and the timeline steps recorded (each step's words to families are
``referrals.domain.FAMILY_WORDS``, keyed by the step). The routine is the same for all: a batch
of rows due a warning today, claimed with their referral (``FOR UPDATE OF d, r SKIP LOCKED``:
a caseworker's step in progress holds the referral, and its deadline is looked at next time,
never waited for), in order of their day; for each, its event in the outbox, its step on the
timeline and its warning marked sent, all in the one unit of work of the service's own
(``system:referrals``), so a warning is sent once, after a restart or downtime too. Each is
counted (``send_statutory_deadlines_*_total``, by council and deadline) once committed: what
the chart's alerts watch, for every clock alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

from asyncpg import Record
from prometheus_client import Counter

from referrals import repository
from referrals.domain import StatutoryStep
from referrals.statutory import warning_due
from shared.councils import ALL
from shared.db import Connection
from shared.events import DomainEvent
from shared.schedule import in_batches
from shared.unit_of_work import Actor, Work

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


@dataclass(frozen=True)
class DeadlineWarning:
    """One of a clock's two warnings: the event it sends and the timeline step it records."""

    event: type[DomainEvent]
    step: StatutoryStep


@dataclass(frozen=True)
class Clock:
    """What one clock's warnings differ in; the rest is ``warn``'s.

    ``columns``, ``joins`` and ``still_open`` are SQL over the deadline (``d``) and its referral
    (``r``); ``key`` names the two columns that pick one deadline out. ``fields`` are the
    event's fields of a row (an at-risk warning adds ``days_left``); ``detail`` is the timeline
    step's detail and ``deadline`` the counters' label, both the row's ``kind`` unless said."""

    table: str
    key: tuple[str, str]
    columns: str
    fields: Callable[[Record], dict[str, Any]]
    at_risk: DeadlineWarning
    missed: DeadlineWarning
    detail: Callable[[Record, DomainEvent], str] = lambda row, _: str(row["kind"])
    deadline: Callable[[Record], str] = lambda row: str(row["kind"])
    joins: str = ""
    still_open: str = "d.met_on IS NULL"

    def due(self) -> str:
        """The batch of this clock's deadlines due a warning today ($1), at risk from $2 days
        before, at most $3 of them."""
        return f"""SELECT {self.columns}
                   FROM {self.table} d {self.joins} JOIN referrals r ON r.id = d.referral_id
                   WHERE {self.still_open}
                     AND ((d.missed_sent_on IS NULL AND d.due_on < $1)
                          OR (d.at_risk_sent_on IS NULL AND d.due_on >= $1
                              AND d.due_on <= $1 + $2::int))
                   ORDER BY d.due_on LIMIT $3
                   FOR UPDATE OF d, r SKIP LOCKED"""

    def mark(self, column: str) -> str:
        """The statement that marks one deadline's warning (``column``) sent on $3."""
        first, second = self.key
        return f"UPDATE {self.table} SET {column} = $3 WHERE {first} = $1 AND {second} = $2"


async def warn(work: Work, conn: Connection, clock: Clock, today: date, at_risk_days: int) -> int:
    """Every warning of ``clock`` due ``today``, a batch a unit of work; returns how many."""
    return await in_batches(lambda: _warn_batch(work, conn, clock, today, at_risk_days), BATCH)


async def _warn_batch(
    work: Work, conn: Connection, clock: Clock, today: date, at_risk_days: int
) -> int:
    warned: list[tuple[Counter, str, str]] = []
    async with work.begin(REFERRALS, councils=ALL, conn=conn) as uow:
        rows = await conn.fetch(clock.due(), today, at_risk_days, BATCH)
        for row in rows:
            warning = warning_due(
                row["due_on"],
                today,
                at_risk_days,
                at_risk_sent=row["at_risk_sent_on"] is not None,
                missed_sent=row["missed_sent_on"] is not None,
            )
            fields = clock.fields(row)
            if warning == "missed":
                sent, column, counter = clock.missed, "missed_sent_on", MISSED
            else:
                fields["days_left"] = (row["due_on"] - today).days
                sent, column, counter = clock.at_risk, "at_risk_sent_on", AT_RISK
            event = sent.event.model_validate(fields)
            uow.add(event)
            await repository.add_step(
                conn,
                referral_id=row["referral_id"],
                event_id=uuid4(),  # the timeline's key for the step; the event follows
                step=sent.step,
                service="referrals",
                occurred_at=datetime.now(UTC),
                detail=clock.detail(row, event),
            )
            first, second = clock.key
            await conn.execute(clock.mark(column), row[first], row[second], today)
            warned.append((counter, row["local_authority"], clock.deadline(row)))
    for counter, council, deadline in warned:  # committed: counted once each
        counter.labels(council, deadline).inc()
    return len(rows)
