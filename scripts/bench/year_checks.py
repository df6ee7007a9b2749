"""What a simulated council year (``scripts.bench.council_year``) must show at its end, each
check a function of the year and a connection (the database's owner: it reads every council's
rows) returning what it found wrong, ids and days only; ``CHECKS`` lists them, and another part
of a plan's life adds its own there (with its work in ``Year.daily``). ``figures`` counts what
the year did.

- every review due to open in the year opened, on its day (``ANNUAL_REVIEW_OPEN_DAYS`` before
  it is due, or the first day for one already that near; a moving child's on the day the
  transfer scheduler opened it, if sooner);
- every deadline computed: each request's four from its day, each review's from its own days;
- every deadline watched: missed the day after it passed unmet, never when met in time;
- the at-risk and missed events sent once each, for exactly the limits missed on purpose;
- the phase transfer cohort of the year's September: every child's amended plan naming the
  next setting issued by the last legal day (14 February; 30 March to post-16), after it
  exactly for those late on purpose, and the transfer's at-risk and missed events sent once
  each for exactly those;
- the SEN2 return for the year: no child with a problem but those whose UPN was never
  recorded, its totals as the timeliness report's and as the year's own counts.

(Longer than most modules: the year's checks, each short, read together with what they count.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any
from xml.etree import ElementTree as ET

import asyncpg
import httpx
from referrals.live.phase_transfer_store import cohort
from referrals.reports import within_20_weeks

from scripts.bench.council_year import Year
from scripts.bench.samples import LEEDS
from scripts.bench.year_cases import request_day
from shared.events import (
    AnnualReviewDeadlineAtRisk,
    AnnualReviewDeadlineMissed,
    AnnualReviewOpened,
    DeadlineAtRisk,
    DeadlineMissed,
    PhaseTransferDeadlineAtRisk,
    PhaseTransferDeadlineMissed,
)

Check = Callable[[Year, asyncpg.Connection, httpx.AsyncClient], Awaitable[list[str]]]
"""A check: the year, the owner's connection, a manager's client; what it found wrong."""
AT_RISK = (DeadlineAtRisk.topic(), AnnualReviewDeadlineAtRisk.topic())
MISSED = (DeadlineMissed.topic(), AnnualReviewDeadlineMissed.topic())


def census_date(year: Year) -> date:
    """The January census after the simulated year: its return counts that year."""
    return date(year.plan.last_day.year + 1, 1, 21)


async def reviews_opened(year: Year, db: asyncpg.Connection, _: httpx.AsyncClient) -> list[str]:
    open_days, first, last = (
        year.settings.annual_review_open_days,
        year.plan.first_day,
        year.plan.last_day,
    )
    wrong = []
    rows = await db.fetch(
        """SELECT a.id, a.due_on, a.opened_on,
                  (SELECT min(t.review_opened_on) FROM phase_transfers t
                   WHERE t.referral_id = a.referral_id AND a.due_on <= t.due_on) AS by_transfer
           FROM annual_reviews a"""
    )  # a review due by a transfer's deadline: the transfer scheduler opens it, maybe sooner
    for row in rows:
        expected = max(row["due_on"] - timedelta(open_days), first)
        if row["by_transfer"] is not None:
            expected = min(expected, row["by_transfer"])
        if row["opened_on"] != (expected if expected <= last else None):
            wrong.append(f"review {row['id']}: opened {row['opened_on']}, expected {expected}")
    opened = {r[0] for r in await db.fetch("SELECT referral_id::text FROM annual_reviews")}
    wrong += [f"plan {r}: no review" for r in year.imported if r not in opened]
    return wrong


async def deadlines_computed(year: Year, db: asyncpg.Connection, _: httpx.AsyncClient) -> list[str]:
    """Each request's limits from its day (6, 16 and 20 weeks; the draft 15 days before the
    20), each review's from its own days (Regs 20 and 22)."""
    wrong = []
    offsets = {"decision": 42, "issue_decision": 112, "draft_plan": 125, "final_plan": 140}
    rows = await db.fetch(
        """SELECT d.referral_id::text, d.kind, d.statutory_due_on, e.requested_on
           FROM deadlines d JOIN ehc_requests e USING (referral_id)
           WHERE d.kind = ANY($1::text[])""",
        list(offsets),
    )
    found = Counter(r["referral_id"] for r in rows)
    for r in rows:
        if r["statutory_due_on"] != r["requested_on"] + timedelta(offsets[r["kind"]]):
            wrong.append(f"request {r['referral_id']}: {r['kind']} due {r['statutory_due_on']}")
    wrong += [f"request {r}: {found[r]} of 4 limits" for r in year.requested if found[r] != 4]
    reviews = await db.fetch(
        """SELECT a.id, a.due_on, a.meeting_on, a.held_on, a.proposals_sent_on, d.kind,
                  d.due_on AS limit_on
           FROM annual_reviews a JOIN review_deadlines d ON d.review_id = a.id"""
    )
    for r in reviews:
        held, expected = r["held_on"], None
        match r["kind"]:
            case "review_meeting":
                expected = r["due_on"]
            case "review_invitations":
                expected = r["meeting_on"] - timedelta(14)
            case "review_report":
                expected = held + timedelta(14)
            case "review_decision":
                expected = held + timedelta(28)
            case "amended_plan":
                expected = held + timedelta(weeks=12)
                if r["proposals_sent_on"] is not None:
                    expected = min(expected, r["proposals_sent_on"] + timedelta(weeks=8))
        if r["limit_on"] != expected:
            wrong.append(f"review {r['id']}: {r['kind']} due {r['limit_on']}, not {expected}")
    return wrong


async def deadlines_watched(year: Year, db: asyncpg.Connection, _: httpx.AsyncClient) -> list[str]:
    """Every limit passed unmet in the year was warned missed the next day, and at risk
    before; none met in time was warned; the limits warned are exactly the ones missed on
    purpose."""
    rows = await db.fetch(
        """SELECT referral_id::text, kind, due_on, met_on, at_risk_sent_on, missed_sent_on
           FROM deadlines WHERE NOT cancelled
           UNION ALL
           SELECT referral_id::text, kind, due_on, met_on, at_risk_sent_on, missed_sent_on
           FROM review_deadlines"""
    )
    wrong = []
    for r in rows:
        missed = r["due_on"] < year.plan.last_day and (
            r["met_on"] is None or r["met_on"] > r["due_on"]
        )
        if missed and (
            r["missed_sent_on"] != r["due_on"] + timedelta(1) or r["at_risk_sent_on"] is None
        ):
            wrong.append(f"{r['referral_id']} {r['kind']}: missed, warned {r['missed_sent_on']}")
        if not missed and r["missed_sent_on"] is not None:
            wrong.append(f"{r['referral_id']} {r['kind']}: warned missed, but met in time")
    for column in ("at_risk_sent_on", "missed_sent_on"):
        warned = {(r["referral_id"], r["kind"]) for r in rows if r[column] is not None}
        wrong += [f"{key}: {column}, not late on purpose" for key in sorted(warned - year.late)]
        wrong += [f"{key}: late on purpose, no {column}" for key in sorted(year.late - warned)]
    return wrong


async def _warnings(db: asyncpg.Connection, topics: tuple[str, ...]) -> Counter[tuple[str, str]]:
    rows = await db.fetch(
        """SELECT key, envelope::jsonb -> 'data' ->> 'deadline' AS kind FROM outbox
           WHERE topic = ANY($1::text[])""",
        list(topics),
    )
    return Counter((r["key"], r["kind"]) for r in rows)


async def warnings_once(year: Year, db: asyncpg.Connection, _: httpx.AsyncClient) -> list[str]:
    """The events themselves (the outbox the relay publishes from, a row a message): one
    at-risk and one missed event for each limit missed on purpose, and no other."""
    wrong = []
    for name, topics in (("at risk", AT_RISK), ("missed", MISSED)):
        sent = await _warnings(db, topics)
        wrong += [f"{key}: {n} {name} events" for key, n in sorted(sent.items()) if n != 1]
        wrong += [
            f"{key}: {name} event, not late on purpose" for key in sorted(set(sent) - year.late)
        ]
        wrong += [f"{key}: no {name} event" for key in sorted(year.late - set(sent))]
    return wrong


async def transfers_issued(year: Year, db: asyncpg.Connection, _: httpx.AsyncClient) -> list[str]:
    """Reg 18 for the cohort moving in the year's September (``phase_transfer_store.cohort``,
    the caseload's own query): each child's review done and the amended plan naming the next
    setting issued by the last legal day, or after it for exactly those late on purpose; the
    transfers' at-risk and missed events (the outbox) once each for exactly those."""
    wrong = []
    moving = await cohort(
        db, year.plan.first_day.year, year.plan.last_day, year.settings.deadline_at_risk_days
    )
    for child in moving:
        referral_id = str(child.referral_id)
        if referral_id not in year.transfers:
            wrong.append(f"transfer {referral_id}: {child.state}, its review never opened")
            continue
        expected = "issued_late" if year.transfers[referral_id] else "issued"
        named = child.next_setting_urn or child.next_setting_ukprn or child.next_setting_type
        if child.state != expected or not named or child.review_held_on is None:
            wrong.append(
                f"transfer {referral_id}: {child.state} {child.amended_issued_on} (due "
                f"{child.due_on}), review held {child.review_held_on}, next setting {named}; "
                f"{expected}"
            )
    wrong += [f"transfer {r}: not of the cohort" for r in set(year.transfers) -
              {str(c.referral_id) for c in moving}]  # fmt: skip
    late = {r for r, is_late in year.transfers.items() if is_late}
    for name, topic in (("at risk", PhaseTransferDeadlineAtRisk.topic()),
                        ("missed", PhaseTransferDeadlineMissed.topic())):  # fmt: skip
        rows = await db.fetch("SELECT key FROM outbox WHERE topic = $1", topic)
        sent = Counter(r["key"] for r in rows)
        wrong += [f"transfer {key}: {n} {name} events" for key, n in sorted(sent.items()) if n != 1]
        wrong += [f"transfer {key}: {name} event, not late" for key in sorted(set(sent) - late)]
        wrong += [f"transfer {key}: late, no {name} event" for key in sorted(late - set(sent))]
    return wrong


async def sen2_return(year: Year, _: asyncpg.Connection, manager: httpx.AsyncClient) -> list[str]:
    """The return for the year: only the expected problems; totals as the timeliness report's
    and as the year's own; the XML holds every child."""
    query = {"local_authority": LEEDS, "census_date": str(census_date(year))}
    summary = (await manager.get("/v1/reports/sen2", params={**query, "format": "json"})).json()
    wrong = []
    for person in summary["problems"]:
        if person["referral_id"] not in year.no_upn or [f for f, _ in person["problems"]] != [
            "upn"
        ]:
            wrong.append(f"SEN2 {person['referral_id']}: {person['problems']}")
    if len(summary["problems"]) != len(year.no_upn):
        wrong.append(f"SEN2: {len(summary['problems'])} with problems, {len(year.no_upn)} expected")
    timeliness = (
        await manager.get(
            "/v1/reports/timeliness",
            params={"local_authority": LEEDS, "year": year.plan.last_day.year},
        )
    ).json()
    requested = {r: request_day(year.plan, n) for r, n in year.requested.items()}
    on_time = sum(within_20_weeks(requested[r], d) for r, d in year.finals.items())
    totals = summary["totals"]
    expected: dict[str, Any] = {
        "requests_received": (timeliness["requests_received"], year.plan.requests),
        "refusals_to_assess": (timeliness["refusals_to_assess"], len(year.refused)),
        "decisions_not_to_issue": (timeliness["decisions_not_to_issue"], len(year.not_issued)),
        "final_plans_issued": (timeliness["final_plans_issued"], len(year.finals)),
        "within_20_weeks_including_exceptions": (
            timeliness["including_exceptions"]["within_20_weeks"], on_time,
        ),
    }  # fmt: skip
    for name, (report, own) in expected.items():
        if not totals[name] == report == own:
            wrong.append(f"SEN2 {name}: {totals[name]}, timeliness {report}, the year {own}")
    if summary["people"] != year.plan.plans + year.plan.requests:
        wrong.append(f"SEN2: {summary['people']} people")
    xml = await manager.get("/v1/reports/sen2", params=query)
    people = ET.fromstring(xml.content).iter()  # noqa: S314  # our own service's answer
    if sum(e.tag.rsplit("}", 1)[-1] == "Person" for e in people) != summary["people"]:
        wrong.append("SEN2: the XML's people are not the summary's")
    return wrong


CHECKS: list[tuple[str, Check]] = [
    ("every review opened on its day", reviews_opened),
    ("every deadline computed", deadlines_computed),
    ("every deadline watched", deadlines_watched),
    ("at-risk and missed events sent once each", warnings_once),
    ("the phase transfer cohort issued by 15 February (31 March post-16)", transfers_issued),
    ("the SEN2 return validates and agrees", sen2_return),
]
"""The year's checks, in order; each returns what it found wrong (nothing: it holds)."""


async def figures(db: asyncpg.Connection) -> dict[str, int]:
    """What the year did, counted from the database: events by topic, reviews, deadlines."""
    events = {r["topic"]: r["n"] for r in await db.fetch(
        "SELECT topic, count(*) AS n FROM outbox GROUP BY topic")}  # fmt: skip
    return {
        "events": sum(events.values()),
        "reviews opened": events.get(AnnualReviewOpened.topic(), 0),
        "reviews decided": await db.fetchval(
            "SELECT count(*) FROM annual_reviews WHERE decided_on IS NOT NULL"
        ),
        "EHC deadlines": await db.fetchval("SELECT count(*) FROM deadlines"),
        "review deadlines": await db.fetchval("SELECT count(*) FROM review_deadlines"),
        "at-risk events": sum(events.get(t, 0) for t in AT_RISK),
        "missed events": sum(events.get(t, 0) for t in MISSED),
        "phase transfers met": await db.fetchval(
            "SELECT count(*) FROM phase_transfers WHERE met_on IS NOT NULL"
        ),
        "phase transfer at-risk events": events.get(PhaseTransferDeadlineAtRisk.topic(), 0),
        "phase transfer missed events": events.get(PhaseTransferDeadlineMissed.topic(), 0),
    }
