"""Open requests whose advice came in on different days (``advice_received``, issue #22), brought
in through the referrals service (real PostgreSQL, the application role): each kind's advice
recorded on its own day and its adviser's deadline met that day, a kind not yet received still
awaited and watched, each receipt's event with its own day, and plans told each day."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from scripts.platform import IdentityProvider, migrations_of
from shared.dates import london_today
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.referrals_app import LEEDS, outbox_events, referrals_service, signed_in

PATH = "/v1/live-plans/open-requests/import"
ADVICE = ["parent", "educational", "medical", "educational_psychology", "social_care"]
COLUMNS = ("case_id,local_authority,child_given_name,child_family_name,child_date_of_birth,"
           "child_postcode,contact_name,contact_email,requested_by,received_on,needs,"
           "assessment_decision,assessment_decided_on,advice_kinds,advice_requested_on,"
           "advice_received")  # fmt: skip


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("open_requests_days", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def manager(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-manager") as client:
        yield client


def day(days_ago: int) -> date:
    """The day ``days_ago`` days before today (London's, read at each call)."""
    return london_today() - timedelta(days=days_ago)


async def _fetch(owner_url: str, sql: str, *args: Any) -> list[Any]:
    conn = await owner_connection(owner_url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def test_each_advisers_deadline_is_met_on_the_day_its_advice_came_in(
    manager: httpx.AsyncClient, owner_url: str
) -> None:
    pairs = f"medical:{day(30)} parent:{day(50)} educational:{day(40)}"
    asked = f"assess,{day(90)},{' '.join(ADVICE)},{day(85)}"
    line = (f"LCC-DAYS-1,{LEEDS},Ada,Daysmith,2017-03-04,LS6 2AB,Ann Parent,ann@example.org,"
            f"parent,{day(120)},SPLD,{asked},{pairs}")  # fmt: skip
    answer = await manager.post(
        PATH, content=f"{COLUMNS}\n{line}\n", headers={"content-type": "text/csv"}
    )
    assert answer.status_code == 200, answer.text
    referral_id = answer.json()["requests"][0]["referral_id"]

    advice = await _fetch(
        owner_url, "SELECT kind, received_on FROM advice_requests WHERE referral_id = $1",
        referral_id,
    )  # fmt: skip
    assert {a["kind"]: a["received_on"] for a in advice} == {
        "parent": day(50), "educational": day(40), "medical": day(30),
        "educational_psychology": None, "social_care": None,
    }  # fmt: skip
    deadlines = await _fetch(
        owner_url,
        "SELECT kind, due_on, met_on FROM deadlines WHERE referral_id = $1 AND kind ^@ 'advice:'",
        referral_id,
    )
    met = {d["kind"]: d["met_on"] for d in deadlines}
    assert met == {
        "advice:educational": day(40),
        "advice:medical": day(30),
        "advice:educational_psychology": None,
        "advice:social_care": None,
    }  # fmt: skip  (the family's own advice has no deadline: Reg 8 binds the advisers)
    assert {d["due_on"] for d in deadlines} == {day(85) + timedelta(42)}

    events = await outbox_events(owner_url, referral_id)
    received = [p for t, p in events if t == "referrals.advice-received.v1"]
    assert [(p["kind"], p["received_on"]) for p in received] == [
        ("parent", str(day(50))), ("educational", str(day(40))), ("medical", str(day(30)))
    ]  # fmt: skip
    assert all(p["earlier_system"] for p in received)
    for_plans = events[0][1]
    assert events[0][0] == "referrals.open-request-imported.v1"
    assert [(a["kind"], a["received_on"]) for a in for_plans["advice_received"]] == [
        ("parent", str(day(50))), ("educational", str(day(40))), ("medical", str(day(30)))
    ]  # fmt: skip

    again = await manager.post(
        PATH, content=f"{COLUMNS}\n{line}\n", headers={"content-type": "text/csv"}
    )
    assert again.status_code == 200, again.text
    assert again.json()["unchanged"] == 1


async def test_a_day_before_the_advice_was_asked_for_is_refused_at_the_column(
    manager: httpx.AsyncClient, owner_url: str
) -> None:
    line = (f"LCC-DAYS-2,{LEEDS},Bea,Daysmith,2017-03-04,LS6 2AB,Ann Parent,ann@example.org,"
            f"parent,{day(120)},SPLD,assess,{day(90)},{' '.join(ADVICE)},{day(85)},"
            f"medical:{day(86)}")  # fmt: skip
    answer = await manager.post(
        PATH, content=f"{COLUMNS}\n{line}\n", headers={"content-type": "text/csv"}
    )
    assert answer.status_code == 422, answer.text
    (problem,) = answer.json()["detail"]
    assert problem["loc"] == ["body", "line 2", "advice_received"]
    assert problem["msg"].startswith("medical: must not be before the advice was asked for")
    stored = await _fetch(owner_url, "SELECT 1 FROM open_requests WHERE case_id = 'LCC-DAYS-2'")
    assert stored == []
