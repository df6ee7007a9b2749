"""A simulated council year (issue #22): plans in force brought in with their anniversaries
spread over the year, and EHC needs assessment requests arriving through it, run day by day
on the referrals service's own code (its routes in-process, its schedulers' ticks, real
PostgreSQL). Each day the council does the day's steps, then both schedulers look, as on
the day itself: the annual reviews' (``ReviewWatch``: opens reviews, warns of their limits)
and the EHC clock's (``DeadlineWatch``). Seeded: the same sizes and seed give the same year.

The council is on time, each step taken before its limit's at-risk warning would go, except a
seeded share of cases late on purpose, each at exactly one limit: so the year's at-risk and
missed warnings must be exactly those (``scripts.bench.year_checks``). The day is the
simulated one everywhere: the schedulers take it as their injected clock, and the routes read
it where they read the council's day (each ``referrals`` module's ``london_today``, pointed at
the calendar for the run and put back after).

(Longer than most modules: the council's whole year, its cases, their steps' days and the
run, read together; the checks are in ``year_checks``.)
"""

from __future__ import annotations

import asyncio
import csv
import io
import random
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
from referrals.live.review_watch import ReviewWatch
from referrals.sen2.upn import check_letter

from scripts.bench.live_plans import COLUMNS, nhs_number
from scripts.bench.samples import FAMILY, GIVEN, LEEDS
from shared import dates
from shared.migrations import owner_connection
from shared.state import service_state

REVIEW_LATE = ("review_invitations", "review_meeting", "review_report", "review_decision",
               "amended_plan")  # fmt: skip
EHC_LATE = ("decision", "advice:educational_psychology", "final_plan")
ADVICE = ("parent", "educational", "medical", "educational_psychology", "social_care")
NEEDS = ("ASD", "SLCN", "SEMH", "MLD", "SPLD")  # no hearing or vision: no specialist teacher
EVERYONE = ["family", "school", "health", "social_care"]


@dataclass(frozen=True)
class YearPlan:
    """The year's size and seed. ``late_share``: of the cases that can be late within the
    year, the share that is, each at one limit; ``amend_share``: reviews decided "amend";
    ``refuse_share`` / ``not_issue_share``: requests refused, assessments not issued;
    ``no_upn_share``: children whose UPN the council never records (the return's problem)."""

    plans: int
    requests: int
    seed: int = 22
    first_day: date = date(2027, 1, 1)
    late_share: float = 0.04
    amend_share: float = 0.12
    refuse_share: float = 0.15
    not_issue_share: float = 0.1
    no_upn_share: float = 0.02
    concurrency: int = 4

    @property
    def last_day(self) -> date:
        return date(self.first_day.year, 12, 31)


Late = tuple[str, str]
"""A limit missed on purpose: (the case's referral id, the deadline kind)."""
Step = tuple[date, str, dict[str, Any]]
"""A caseworker's step: its day, the path under the referral, the body."""


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


def _rng(plan: YearPlan, kind: str, n: int) -> random.Random:
    return random.Random(f"{plan.seed}:{kind}:{n}")  # noqa: S311  # a simulation's dice, no secret


def upn(n: int) -> str:
    digits = f"{380:03d}{2000 + n // 1000 % 10000:04d}{15:02d}{n % 1000:03d}"
    return check_letter(digits) + digits


def review_due(plan: YearPlan, n: int) -> date:
    """The n-th plan's next review: spread over the year from its 30th day (time to arrange
    a meeting 2 weeks ahead and hold it before its limit is at risk)."""
    return plan.first_day + timedelta(30 + n * 335 // max(plan.plans, 1))


def plans_csv(plan: YearPlan) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for n in range(plan.plans):
        due = review_due(plan, n)
        last = dates.add_months(due, -12)
        writer.writerow(
            [f"SIM-{n:06d}", LEEDS, GIVEN[n % len(GIVEN)], FAMILY[n // len(GIVEN) % len(FAMILY)],
             str(date(2005, 1, 1) + timedelta(n * 3 % 4600)), nhs_number(n),
             f"LS{6 + n % 4} {n % 10}AB", "A Parent", f"parent{n}@example.org",
             " ".join(NEEDS[(n + k) % len(NEEDS)] for k in range(1 + n % 3)),
             str(last - timedelta(365 * (n % 4))), str(last), f"{107000 + n % 900}"]
        )  # fmt: skip
    return out.getvalue()


def request_body(plan: YearPlan, n: int, day: date) -> dict[str, Any]:
    child: dict[str, Any] = {
        "given_name": GIVEN[n % len(GIVEN)],
        "family_name": FAMILY[n // len(GIVEN) % len(FAMILY)],
        "date_of_birth": str(date(2018, 3, 1) + timedelta(n)),
        "postcode": f"LS{6 + n % 4} {n % 10}EH",
    }
    if _rng(plan, "upn", plan.plans + n).random() >= plan.no_upn_share:
        child["upn"] = upn(plan.plans + n)
    return {
        "local_authority": LEEDS, "track": "ehc", "requested_by": "parent",
        "primary_need": NEEDS[n % len(NEEDS)], "received_on": str(day), "child": child,
        "family_contact": {"name": "A Parent", "email": f"family{n}@example.org"},
    }  # fmt: skip


def request_day(plan: YearPlan, n: int) -> date:
    return plan.first_day + timedelta(n * 365 // max(plan.requests, 1))


def request_steps(year: Year, referral_id: str, n: int, received: date) -> list[Step]:
    """The request's steps, on time unless it is one of the late (the limit it misses)."""
    plan, rng = year.plan, _rng(year.plan, "request", n)
    refuse = rng.random() < plan.refuse_share
    not_issue = not refuse and rng.random() < plan.not_issue_share
    can_be_late = not refuse and not not_issue and received <= plan.last_day - timedelta(150)
    late = EHC_LATE[rng.randrange(len(EHC_LATE))] if can_be_late else None
    if not (can_be_late and rng.random() < plan.late_share):
        late = None
    on = {"decide": 20, "ask": 21, "receive": 45, "plan": 50, "draft": 60, "final": 80}
    if late == "decision":  # 2 days after its 6 weeks; the rest follows as far behind
        on = {k: v + 24 for k, v in on.items()}
    elif late == "advice:educational_psychology":
        on |= {"late_advice": 65, "plan": 66, "draft": 76, "final": 96}
    elif late == "final_plan":
        on["final"] = 145
    if late is not None:
        year.late.add((referral_id, late))
    day = {k: received + timedelta(v) for k, v in on.items()}
    decide: dict[str, Any] = {"decision": "assess", "decided_on": str(day["decide"])}
    if refuse:
        reason = "needs_met_from_available_provision"
        return [(day["decide"], "assessment-decision", {**decide, "decision": "refuse",
                                                         "reason": reason})]  # fmt: skip
    steps: list[Step] = [
        (day["decide"], "assessment-decision", decide),
        (day["ask"], "advice-requests", {"kinds": list(ADVICE), "requested_on": str(day["ask"])}),
    ]
    for kind in ADVICE:
        received_on = day["late_advice"] if late == f"advice:{kind}" else day["receive"]
        steps.append((received_on, f"advice-requests/{kind}/received",
                      {"received_on": str(received_on)}))  # fmt: skip
    if not_issue:
        body = {"decision": "not_issue", "decided_on": str(day["plan"]),
                "reason": "needs_met_by_sen_support"}  # fmt: skip
        return [*steps, (day["plan"], "plan-decision", body)]
    return [
        *steps,
        (day["plan"], "plan-decision", {"decision": "issue", "decided_on": str(day["plan"])}),
        (day["draft"], "draft-plan", {"issued_on": str(day["draft"])}),
        (day["final"], "final-plan", {"issued_on": str(day["final"]),
                                      "named_school_urn": f"{107000 + n % 900}"}),
    ]  # fmt: skip


def review_steps(year: Year, n: int, opened: date, due: date, late: str | None) -> list[Step]:
    """A review's steps from the day after the scheduler opened it: meeting arranged and
    invitations sent at once, the meeting 25 days before its limit (2 weeks after the
    invitations at least), the report in 3 days, the decision in 7; "amend": proposals in 10,
    the amended plan in 30. ``late``: the one limit this review misses."""
    first = opened + timedelta(1)
    meeting = max(due - timedelta(25), first + timedelta(14))
    if late == "review_meeting":
        meeting = due + timedelta(5)
    invited = meeting - timedelta(5) if late == "review_invitations" else first
    report = 16 if late == "review_report" else 3
    decided = {"review_decision": 30, "review_report": 17}.get(late or "", 7)
    amend = late == "amended_plan" or (
        late is None and _rng(year.plan, f"amend{due}", n).random() < year.plan.amend_share
    )
    base = "annual-review"
    steps: list[Step] = [
        (first, f"{base}/meeting", {"meeting_on": str(meeting)}),
        (invited, f"{base}/invitations", {"sent_on": str(invited), "invitees": EVERYONE}),
        (meeting, f"{base}/meeting-held", {"held_on": str(meeting)}),
    ]  # fmt: skip
    sent = meeting + timedelta(report)
    steps.append((sent, f"{base}/report", {"sent_on": str(sent)}))
    day = meeting + timedelta(decided)
    body = {"decision": "amend" if amend else "keep", "decided_on": str(day)}
    steps.append((day, f"{base}/decision", body))
    if amend:
        proposals, final = (
            meeting + timedelta(10),
            meeting + timedelta(70 if late == "amended_plan" else 30),
        )
        steps.append((proposals, f"{base}/amendments/proposals", {"sent_on": str(proposals)}))
        steps.append((final, f"{base}/amendments/final", {"issued_on": str(final)}))
    return steps


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
        if _rng(year.plan, "upn", n).random() < year.plan.no_upn_share:
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


def _late_review(year: Year, n: int, due: date) -> str | None:
    """The limit the n-th plan's first review misses, if it is one of the late: only a review
    whose every step falls inside the year, with time to warn before each limit."""
    plan, rng = year.plan, _rng(year.plan, "review", n)
    kind = REVIEW_LATE[rng.randrange(len(REVIEW_LATE))]
    inside = plan.first_day + timedelta(80) <= due <= plan.first_day + timedelta(250)
    return kind if inside and rng.random() < plan.late_share else None


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
                    schedule(referral_id, request_steps(year, referral_id, n, day))
                await _take(year, caseworker, agenda.pop(day, {}))
                for more in year.daily:
                    await more(year, day)
                async with state.database.pool().acquire() as conn:
                    year.warnings_ticked += await reviews.check(state.work, conn)
                    year.warnings_ticked += await clock.check(state.work, conn)
                opened = await owner.fetch(
                    "SELECT referral_id::text, due_on FROM annual_reviews WHERE opened_on = $1",
                    day,
                )
                for row in opened:
                    referral_id, n = row["referral_id"], year.imported.get(row["referral_id"], -1)
                    late = None if referral_id in reviewed else _late_review(year, n, row["due_on"])
                    if late is not None:
                        year.late.add((referral_id, late))
                    reviewed.add(referral_id)
                    schedule(referral_id, review_steps(year, n, day, row["due_on"], late))
                day += timedelta(1)
    finally:
        await owner.close()
        if caseworker is not None:
            await caseworker.aclose()
