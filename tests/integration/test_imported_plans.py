"""Plans for requests and plans a council brought in from its earlier system (#22), through
plans' handlers and API on real PostgreSQL: an open request's plan at the stage its steps left
it, taken on from there by the next steps as any request's; the steps' own events (flagged
``earlier_system``, on other topics, in any order) change nothing; a live plan held final. No
events from the import: nobody is told, nothing is matched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from plans.imported import IN_EARLIER_SYSTEM

from scripts.platform import IdentityProvider, migrations_of
from shared.dates import london_today
from shared.events import (
    AdviceReceived,
    ImportedAdvice,
    LivePlanImported,
    OpenRequestImported,
    PlanIssueDecided,
    Sen2Need,
    wrap,
)
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.plans_app import handled, owner_fetch, plans_service
from tests.integration.referrals_app import signed_in

LEEDS = "E08000035"


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("importedplans", "plans", migrations_of("plans"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with plans_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


async def _handled(owner_url: str, *events: Any) -> None:
    conn = await owner_connection(owner_url)
    try:
        for event in events:
            async with conn.transaction():
                await handled(conn, wrap(event, source="/t", local_authority=LEEDS))
    finally:
        await conn.close()


async def _plan(caseworker: httpx.AsyncClient, referral_id: UUID) -> Any:
    answer = await caseworker.get(f"/v1/referrals/{referral_id}/plan")
    assert answer.status_code == 200, answer.text
    return answer.json()


def received() -> date:
    """The requests' day: twelve weeks before today (London's, read at each call)."""
    return london_today() - timedelta(weeks=12)


def _imported(referral_id: UUID, **changes: Any) -> OpenRequestImported:
    received_on = received()
    fields: dict[str, Any] = {
        "referral_id": referral_id, "local_authority": LEEDS, "received_on": received_on,
        "requested_by": "parent", "needs": [Sen2Need.SLCN, Sen2Need.SEMH],
        "postcode_district": "LS6", "decision_due": received_on + timedelta(weeks=6),
        "final_plan_due": received_on + timedelta(weeks=20), "phase": "primary", "age_years": 8,
    }  # fmt: skip
    return OpenRequestImported(**fields | changes)


def _step(referral_id: UUID, **changes: Any) -> dict[str, Any]:
    return {
        "referral_id": referral_id, "local_authority": LEEDS, "requested_by": "parent",
        "ehc_requested_on": received(), **changes,
    }  # fmt: skip


async def _outbox(owner_url: str, referral_id: UUID) -> list[str]:
    rows = await owner_fetch(
        owner_url, "SELECT topic FROM outbox WHERE key = $1 ORDER BY id", str(referral_id)
    )
    return [r["topic"] for r in rows]


async def test_an_open_request_assessing_gets_its_plan_and_the_next_steps_here_draft_the_ehc_plan(
    caseworker: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    referral_id = uuid4()
    advised = received() + timedelta(weeks=9)
    imported = _imported(
        referral_id, advice_received=[ImportedAdvice(kind="medical", received_on=advised)]
    )
    # The request's own steps, flagged, may come before or after it (other topics): neither
    # waits, neither changes the plan (its import carried them).
    early = AdviceReceived(
        **_step(referral_id, earlier_system=True), kind="medical", received_on=advised,
        due_on=advised, on_time=True,
    )  # fmt: skip
    await _handled(owner_url, early, imported, early.model_copy(update={}))
    plan = await _plan(caseworker, referral_id)
    assert (plan["track"], plan["status"], plan["version"]) == ("ehc", "draft", 2)
    assert plan["sections"]["track"] == "support"  # the support plan, until a decision to issue
    assert [n["code"] for n in plan["sections"]["B"]] == ["SLCN", "SEMH"]
    assert [(a["kind"], a["received_on"]) for a in plan["sections"]["K"]] == [
        ("medical", str(advised))
    ]
    assert plan["final_plan_due"] == str(imported.final_plan_due)
    assert await _outbox(owner_url, referral_id) == []  # no family message, no matching
    audited = await owner_fetch(
        owner_url,
        "SELECT action FROM audit_log WHERE referral_id = $1 AND action <> 'read'",
        referral_id,
    )
    assert [a["action"] for a in audited] == ["create"]

    # Taken here, as for a request made here: advice listed, then the EHC plan drafted.
    here = AdviceReceived(
        **_step(referral_id), kind="educational_psychology", received_on=today, due_on=today,
        on_time=True,
    )  # fmt: skip
    decided = PlanIssueDecided(
        **_step(referral_id), decision="issue", decided_on=today,
        not_issue_due=received() + timedelta(weeks=16),
    )  # fmt: skip
    await _handled(owner_url, here, decided)
    plan = await _plan(caseworker, referral_id)
    assert (plan["status"], plan["version"]) == ("draft", 4)
    assert plan["sections"]["track"] == "ehc"
    assert [a["kind"] for a in plan["sections"]["K"]] == ["medical", "educational_psychology"]
    assert all(line["suggested"] for line in plan["sections"]["F"])
    topics = await _outbox(owner_url, referral_id)
    assert topics == ["plans.plan-revised.v1"] * 2  # as any request's steps are announced

    # The caseworker confirms a suggested line against the advice, as for any EHC plan.
    line = plan["sections"]["F"][0]["id"]
    confirmed = await caseworker.post(
        f"/v1/referrals/{referral_id}/plan/lines/{line}/confirm", json={}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert not confirmed.json()["sections"]["F"][0]["suggested"]


async def test_an_open_request_with_its_draft_issued_there_waits_for_the_familys_comments(
    caseworker: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    referral_id = uuid4()
    issued, due = today - timedelta(days=3), today + timedelta(days=12)
    imported = _imported(
        referral_id,
        advice_received=[ImportedAdvice(kind="educational", received_on=today - timedelta(20))],
        plan_decision="issue", plan_decided_on=today - timedelta(10),
        draft_issued_on=issued, comments_due=due,
    )  # fmt: skip
    await _handled(owner_url, imported)
    await _handled(owner_url, imported.model_copy())  # a second copy (another event id)
    plan = await _plan(caseworker, referral_id)
    assert (plan["status"], plan["comments_until"]) == ("issued_for_comment", str(due))
    assert plan["sections"]["track"] == "ehc"
    versions = await owner_fetch(
        owner_url,
        "SELECT version, reason FROM plan_versions WHERE referral_id = $1 ORDER BY version",
        referral_id,
    )
    assert [v["version"] for v in versions] == [1, 2, 3, 4]  # once, not twice
    assert all("earlier system" in v["reason"] for v in versions)
    # Finalising before the family's day is refused, as for a draft issued here.
    early = await caseworker.post(f"/v1/referrals/{referral_id}/plan/finalise", json={})
    assert early.status_code == 409, early.text
    assert await _outbox(owner_url, referral_id) == []


async def test_a_live_plan_is_held_final_with_its_review_and_needs(
    caseworker: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    referral_id, due = uuid4(), today + timedelta(days=200)
    live = LivePlanImported(
        referral_id=referral_id, local_authority=LEEDS, issued_on=date(2024, 3, 1),
        last_reviewed_on=due - timedelta(days=365), review_due=due,
        needs=[Sen2Need.ASD, Sen2Need.SLCN], setting_urn="107958", phase="primary",
        age_years=9,
    )  # fmt: skip
    await _handled(owner_url, live, live.model_copy())
    plan = await _plan(caseworker, referral_id)
    assert (plan["track"], plan["status"], plan["version"]) == ("ehc", "final", 2)
    assert plan["review_due_on"] == str(due)
    sections = plan["sections"]
    assert [n["code"] for n in sections["B"]] == ["ASD", "SLCN"]
    assert (sections["E"], sections["F"], sections["G"]) == ([], [], [])
    assert sections["A"] == sections["C"] == IN_EARLIER_SYSTEM
    assert sections["I"].startswith("URN 107958")
    assert await _outbox(owner_url, referral_id) == []


async def test_a_live_plan_overdue_for_review_is_held_review_due_and_nobody_is_told(
    caseworker: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    referral_id, due = uuid4(), today - timedelta(days=20)
    live = LivePlanImported(
        referral_id=referral_id, local_authority=LEEDS, issued_on=due - timedelta(days=365),
        review_due=due, needs=[Sen2Need.HI],
    )  # fmt: skip
    await _handled(owner_url, live)
    plan = await _plan(caseworker, referral_id)
    assert (plan["status"], plan["review_due_on"]) == ("review_due", str(due))
    assert await _outbox(owner_url, referral_id) == []  # no plan-review-due to the family
