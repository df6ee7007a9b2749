"""A simulated council year (issue #22): plans in force brought in with their anniversaries
spread over the year, and EHC needs assessment requests arriving through it, run day by day
on the referrals service's own code (its routes in-process, its schedulers' ticks, real
PostgreSQL). Each day the council does the day's steps, then the three schedulers look, as on
the day itself: the annual reviews' (``ReviewWatch``: opens reviews, warns of their limits),
the EHC clock's (``DeadlineWatch``) and the phase transfers' (``TransferWatch``: opens a moving
child's review in the autumn term before, warns of Reg 18's 15 February / 31 March).
Seeded: the same sizes and seed give the same year.

The council is on time, each step taken before its limit's at-risk warning would go, except a
seeded share of cases late on purpose, each at exactly one limit: so the year's at-risk and
missed warnings must be exactly those (``scripts.bench.year_checks``). The day is the
simulated one everywhere: the schedulers take it as their injected clock, and the routes read
it where they read the council's day (each ``referrals`` module's ``london_today``, pointed at
the calendar for the run and put back after).

The cases and their steps' days are in ``year_cases``; the checks in ``year_checks``.

(Longer than most modules: what a run holds, its calendar and its day, read together.)
"""

from __future__ import annotations

import asyncio
import sys
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from referrals.config import ReferralsSettings
from referrals.deadlines import DeadlineWatch
from referrals.live.phase_transfer import PhaseTransfer
from referrals.live.phase_transfer_watch import TransferWatch
from referrals.live.review_watch import ReviewWatch

from scripts.bench.year_cases import (
    Late,
    Step,
    YearPlan,
    dice,
    late_review,
    late_transfer,
    plans_csv,
    request_body,
    request_day,
    request_steps,
    review_steps,
    transfer_steps,
    upn,
)
from shared import dates
from shared.migrations import owner_connection
from shared.state import service_state


@dataclass
class Year:
    """What the run did, for the checks and the figures (ids, days and counts only)."""

    plan: YearPlan
    app: FastAPI
    owner_url: str
    settings: ReferralsSettings
    imported: dict[str, int] = field(default_factory=dict)  # referral id -> case number
    requested: dict[str, int] = field(default_factory=dict)
    late: set[Late] = field(default_factory=set)
    no_upn: set[str] = field(default_factory=set)  # referral ids
    finals: dict[str, date] = field(default_factory=dict)  # request -> final plan's day
    refused: set[str] = field(default_factory=set)
    not_issued: set[str] = field(default_factory=set)
    transfers: dict[str, bool] = field(default_factory=dict)
    """Children moving phase in the year's September whose transfer review the council did:
    referral id -> late on purpose (the amended plan after the last legal day)."""
    steps: int = 0
    warnings_ticked: int = 0
    daily: list[Callable[[Year, date], Awaitable[None]]] = field(default_factory=list)
    """More of the council's work each day, after the reviews' and the requests' steps and
    before the schedulers look (another part of a plan's life joins the year here)."""


class Calendar:
    """The simulated day, for the schedulers (their clock) and the routes (the council's
    day each reads): ``london_today`` of every ``referrals`` module answers it while open."""

    def __init__(self, day: date) -> None:
        self.day = day

    def today(self, now: object = None) -> date:
        return self.day

    @contextmanager
    def routes_read_it(self) -> Iterator[None]:
        modules = [
            m for name, m in list(sys.modules.items())
            if name.split(".")[0] == "referrals" and getattr(m, "london_today", None)
            is dates.london_today
        ]  # fmt: skip
        for module in modules:
            module.london_today = self.today  # type: ignore[attr-defined]  # the run's day
        try:
            yield
        finally:
            for module in modules:
                module.london_today = dates.london_today  # type: ignore[attr-defined]


class StepRefused(RuntimeError):
    """A step the platform refused: the simulated council broke no rule, so this is a fault."""


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
    answer = await client.post(path, json=body)
    if answer.status_code not in (200, 201):
        raise StepRefused(f"{path}: {answer.status_code} {answer.text[:400]}")
    return answer.json()


async def _import(year: Year, manager: httpx.AsyncClient) -> None:
    """The plans in force brought in on the year's first day, then each child's UPN recorded
    (but for the seeded few whose UPN the council never has)."""
    answer = await manager.post(
        "/v1/live-plans/import", content=plans_csv(year.plan), headers={"content-type": "text/csv"}
    )
    if answer.status_code != 200:
        raise StepRefused(f"import: {answer.status_code} {answer.text[:400]}")
    for row in answer.json()["plans"]:
        year.imported[row["referral_id"]] = int(row["case_id"].removeprefix("SIM-"))
    limit = asyncio.Semaphore(year.plan.concurrency)

    async def record_upn(referral_id: str, n: int) -> None:
        if dice(year.plan, "upn", n).random() < year.plan.no_upn_share:
            year.no_upn.add(referral_id)
            return
        async with limit:
            answer = await manager.put(
                f"/v1/referrals/{referral_id}/child/upn", json={"upn": upn(n)}
            )
        if answer.status_code != 200:
            raise StepRefused(f"upn: {answer.status_code} {answer.text[:400]}")

    await asyncio.gather(*(record_upn(r, n) for r, n in year.imported.items()))


async def _take(year: Year, client: httpx.AsyncClient, today: dict[str, list[Step]]) -> None:
    """The day's steps: each case's in order, the cases side by side."""
    limit = asyncio.Semaphore(year.plan.concurrency)

    async def case(referral_id: str, steps: list[Step]) -> None:
        async with limit:
            for day, path, body in steps:
                await _post(client, f"/v1/referrals/{referral_id}/{path}", body)
                year.steps += 1
                outcome = (path, body.get("decision"))
                if outcome == ("assessment-decision", "refuse"):
                    year.refused.add(referral_id)
                elif outcome == ("plan-decision", "not_issue"):
                    year.not_issued.add(referral_id)
                elif path == "final-plan":
                    year.finals[referral_id] = day

    await asyncio.gather(*(case(r, steps) for r, steps in sorted(today.items())))


_OPENED = """SELECT a.referral_id::text, a.due_on, t.kind, t.transfer_year
   FROM annual_reviews a LEFT JOIN phase_transfers t ON t.referral_id = a.referral_id
     AND t.met_on IS NULL AND make_date(t.transfer_year, 9, 1) > $1
   WHERE a.opened_on = $1"""
"""The reviews opened today, each with the child's transfer still to come (if any)."""


def _schedule_review(
    year: Year,
    row: Any,
    day: date,
    reviewed: set[str],
    schedule: Callable[[str, list[Step]], None],
) -> None:
    """A review opened today: a transfer's (its last legal day in the year, the review due by
    it) done as ``transfer_steps`` says; any other as ``review_steps``, late on purpose at one
    limit if its first is one of the seeded late."""
    plan, referral_id = year.plan, row["referral_id"]
    n = year.imported.get(referral_id, -1)
    transfer = None if row["kind"] is None else PhaseTransfer(row["kind"], row["transfer_year"])
    if transfer is not None and transfer.due_on <= plan.last_day and referral_id not in reviewed:
        late_moving = late_transfer(plan, n, transfer)
        year.transfers[referral_id] = late_moving
        reviewed.add(referral_id)
        schedule(referral_id, transfer_steps(n, day, transfer, late_moving))
        return
    late = None if referral_id in reviewed else late_review(plan, n, row["due_on"])
    if late is not None:
        year.late.add((referral_id, late))
    reviewed.add(referral_id)
    schedule(referral_id, review_steps(plan, n, day, row["due_on"], late, transfer))


async def run(
    year: Year,
    signed_in: Callable[[str], Awaitable[httpx.AsyncClient]],
    progress: Callable[[date], None] = lambda day: None,
) -> None:
    """The year, day by day: ``signed_in(user)`` gives a client of the app as that member of
    staff (a caseworker takes the steps, a manager brings the plans in); ``progress`` hears
    of the first of each month."""
    plan, settings = year.plan, year.settings
    calendar = Calendar(plan.first_day)
    agenda: dict[date, dict[str, list[Step]]] = defaultdict(lambda: defaultdict(list))

    def schedule(referral_id: str, steps: list[Step]) -> None:
        for step in steps:
            agenda[step[0]][referral_id].append(step)

    reviews = ReviewWatch(
        open_days=settings.annual_review_open_days,
        at_risk_days=settings.deadline_at_risk_days,
        interval_s=60,
        today=calendar.today,
    )
    clock = DeadlineWatch(
        at_risk_days=settings.deadline_at_risk_days, interval_s=60, today=calendar.today
    )
    transfers = TransferWatch(
        open_days=settings.phase_transfer_open_days,
        at_risk_days=settings.deadline_at_risk_days,
        interval_s=60,
        today=calendar.today,
    )
    arriving: dict[date, list[int]] = defaultdict(list)
    for n in range(plan.requests):
        arriving[request_day(plan, n)].append(n)
    state, reviewed = service_state(year.app), set[str]()
    caseworker: httpx.AsyncClient | None = None
    owner = await owner_connection(year.owner_url)
    try:
        with calendar.routes_read_it():
            async with await signed_in("leeds-manager") as manager:
                await _import(year, manager)
            day = plan.first_day
            while day <= plan.last_day:
                calendar.day = day
                if caseworker is None or day.day == 1:  # a fresh sign-in each month
                    progress(day)
                    if caseworker is not None:
                        await caseworker.aclose()
                    caseworker = await signed_in("leeds-caseworker")
                for n in arriving.pop(day, []):
                    body = request_body(plan, n, day)
                    referral_id = (await _post(caseworker, "/v1/referrals", body))["id"]
                    year.requested[referral_id] = n
                    if "upn" not in body["child"]:
                        year.no_upn.add(referral_id)
                    steps, late = request_steps(plan, n, day)
                    if late is not None:
                        year.late.add((referral_id, late))
                    schedule(referral_id, steps)
                await _take(year, caseworker, agenda.pop(day, {}))
                for more in year.daily:
                    await more(year, day)
                async with state.database.pool().acquire() as conn:
                    year.warnings_ticked += await reviews.check(state.work, conn)
                    year.warnings_ticked += await clock.check(state.work, conn)
                    year.warnings_ticked += await transfers.check(state.work, conn)
                for row in await owner.fetch(_OPENED, day):
                    _schedule_review(year, row, day, reviewed, schedule)
                day += timedelta(1)
    finally:
        await owner.close()
        if caseworker is not None:
            await caseworker.aclose()
