"""The one routine every clock warns with (``referrals.deadline_warnings.warn``), without a
database: a batch of a clock's deadlines due a warning today, claimed with their referral
(SKIP LOCKED) in order of their day; for each, in that order, its event (missed, or at risk
with the days left), its timeline step, and its warning marked sent, all in one unit of work;
counted only once that unit of work commits. The clocks' own tests (integration) run it on
PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from typing import Any, cast
from uuid import uuid4

import pytest
from prometheus_client import Counter
from referrals import deadline_warnings, repository
from referrals.deadline_warnings import AT_RISK, MISSED, warn
from referrals.domain import StatutoryStep
from referrals.live.review_watch import REVIEW_CLOCK

from shared.db import Connection
from shared.events import AnnualReviewDeadlineAtRisk, AnnualReviewDeadlineMissed
from shared.unit_of_work import UnitOfWork, Work
from tests.unit_of_work import FakeUnitOfWork

TODAY = date(2026, 3, 10)
COUNCIL = "E08000035"


class _Rows:
    """The connection as the routine uses it: the batch it fetches, each statement it runs."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.fetched: list[tuple[str, tuple[Any, ...]]] = []
        self.executed: list[tuple[str, tuple[Any, ...]]] = []
        self.done: list[tuple[str, Any]] = []  # everything, in order: ("step", ...), ("mark", ...)

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        self.fetched.append((sql, args))
        return self.rows if len(self.fetched) == 1 else []

    async def execute(self, sql: str, *args: Any) -> str:
        self.executed.append((sql, args))
        self.done.append(("mark", args))
        return "UPDATE 1"


class _Work:
    """``Work.begin`` on a fake unit of work, committing unless told to fail on the way out."""

    def __init__(self, *, fails_at_commit: bool = False) -> None:
        self.uows: list[FakeUnitOfWork] = []
        self.fails_at_commit = fails_at_commit

    @asynccontextmanager
    async def begin(self, *_: Any, **__: Any) -> AsyncIterator[UnitOfWork]:
        uow = FakeUnitOfWork()
        self.uows.append(uow)
        yield uow
        if self.fails_at_commit:
            raise ConnectionError("the commit failed")


def _row(kind: str, due_on: date) -> dict[str, Any]:
    return {
        "review_id": uuid4(), "kind": kind, "referral_id": uuid4(), "local_authority": COUNCIL,
        "due_on": due_on, "at_risk_sent_on": None, "missed_sent_on": None,
    }  # fmt: skip


def _count(counter: Counter, deadline: str) -> float:
    for metric in counter.collect():
        for sample in metric.samples:
            labels = sample.labels
            if sample.name.endswith("_total") and labels == {
                "local_authority": COUNCIL,
                "deadline": deadline,
            }:
                return float(sample.value)
    return 0.0


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """The timeline steps recorded (``repository.add_step``), into the connection's order."""
    recorded: list[tuple[str, Any]] = []

    async def add_step(conn: _Rows, **step: Any) -> list[Any]:
        conn.done.append(("step", (step["referral_id"], step["step"], step["detail"])))
        recorded.append(("step", step))
        return []

    monkeypatch.setattr(repository, "add_step", add_step)
    return recorded


async def test_each_deadline_due_is_warned_once_in_order_and_counted(
    steps: list[tuple[str, Any]],
) -> None:
    missed = _row("review_meeting", TODAY - timedelta(days=1))
    at_risk = _row("review_report", TODAY + timedelta(days=3))
    conn = _Rows([missed, at_risk])
    work = _Work()
    before = (_count(MISSED, "review_meeting"), _count(AT_RISK, "review_report"))

    sent = await warn(cast(Work, work), cast(Connection, conn), REVIEW_CLOCK, TODAY, 5)

    assert sent == 2
    (sql, args), *_ = conn.fetched
    assert args == (TODAY, 5, deadline_warnings.BATCH)
    assert "FROM review_deadlines d" in sql
    assert "ORDER BY d.due_on" in sql
    assert "FOR UPDATE OF d, r SKIP LOCKED" in sql  # the referral too: a step in progress wins
    assert len(work.uows) == 1  # one unit of work for the batch (the next batch found none)
    assert work.uows[0].events == [
        AnnualReviewDeadlineMissed(
            referral_id=missed["referral_id"], local_authority=COUNCIL,
            review_id=missed["review_id"], deadline="review_meeting", due_on=missed["due_on"],
        ),
        AnnualReviewDeadlineAtRisk(
            referral_id=at_risk["referral_id"], local_authority=COUNCIL,
            review_id=at_risk["review_id"], deadline="review_report", due_on=at_risk["due_on"],
            days_left=3,
        ),
    ]  # fmt: skip
    assert conn.done == [
        ("step", (missed["referral_id"], StatutoryStep.REVIEW_DEADLINE_MISSED, "review_meeting")),
        ("mark", (missed["review_id"], "review_meeting", TODAY)),
        ("step", (at_risk["referral_id"], StatutoryStep.REVIEW_DEADLINE_AT_RISK, "review_report")),
        ("mark", (at_risk["review_id"], "review_report", TODAY)),
    ]
    marks = [sql for sql, _ in conn.executed]
    assert marks == [
        "UPDATE review_deadlines SET missed_sent_on = $3 WHERE review_id = $1 AND kind = $2",
        "UPDATE review_deadlines SET at_risk_sent_on = $3 WHERE review_id = $1 AND kind = $2",
    ]
    assert _count(MISSED, "review_meeting") == before[0] + 1
    assert _count(AT_RISK, "review_report") == before[1] + 1


async def test_a_warning_whose_unit_of_work_fails_is_not_counted(
    steps: list[tuple[str, Any]],
) -> None:
    conn = _Rows([_row("review_decision", TODAY - timedelta(days=2))])
    before = _count(MISSED, "review_decision")

    with pytest.raises(ConnectionError):
        await warn(
            cast(Work, _Work(fails_at_commit=True)), cast(Connection, conn), REVIEW_CLOCK, TODAY, 5
        )

    assert (
        _count(MISSED, "review_decision") == before
    )  # rolled back: sent again next time, counted then
    assert len(steps) == 1


async def test_a_deadline_at_risk_already_warned_is_warned_again_only_when_missed(
    steps: list[tuple[str, Any]],
) -> None:
    """The query picks a row missed but warned at risk before: only the miss is sent."""
    row = {**_row("review_invitations", TODAY - timedelta(days=1)), "at_risk_sent_on": TODAY}
    conn = _Rows([row])
    work = _Work()

    await warn(cast(Work, work), cast(Connection, conn), REVIEW_CLOCK, TODAY, 5)

    assert [type(e) for e in work.uows[0].events] == [AnnualReviewDeadlineMissed]
