"""A re-assessment's advice (Reg 25 applies Regs 6-8) on real PostgreSQL: the advice asked for
and received as steps of the re-assessment, each adviser's 6 weeks a limit on its clock,
warned of once by the scheduler; the outcome refused (409) while the advice the law requires
has not been asked for; and an amended plan's next annual review within 12 months of its
issue (Reg 20)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from referrals.live.plan_watch import PlanWatch

from scripts.platform import IdentityProvider, migrations_of, service_url
from shared.dates import add_months, london_today
from shared.migrations import owner_connection
from shared.state import service_state
from tests.conftest import Databases
from tests.integration.plans_family import link
from tests.integration.referrals_app import outbox_events, referrals_service, signed_in
from tests.integration.test_live_plans_import import plan
from tests.integration.test_notices import NOTICES
from tests.logging_state import restored_logging

TRANSFERS = "/v1/live-plans/transfers-in"
EVERY_CHILDS = ["parent", "educational", "medical", "educational_psychology", "social_care"]


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("reassessment_advice", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    with restored_logging():
        async with referrals_service(
            owner_url, identity, council_notices={"*": NOTICES}
        ) as running:
            yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
    answer = await client.post(path, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def reassessing(
    client: httpx.AsyncClient, told_on: date | None = None, **changes: Any
) -> str:
    """A plan transferred in whose family was told, on ``told_on`` (today by default), of a
    new assessment: a re-assessment under way. Its referral's path."""
    if told_on is None:
        told_on = london_today()
    moved = told_on - timedelta(days=5)
    body = {"plan": plan(**changes), "from_council": "E08000036", "transferred_on": str(moved)}
    made = await _post(client, TRANSFERS, body)
    base = f"/v1/referrals/{made['referral_id']}"
    await _post(client, f"{base}/transfer-in/decision", {"reassess": True, "told_on": str(told_on)})
    return base


async def ask_for_advice(
    client: httpx.AsyncClient,
    base: str,
    kinds: list[str] = EVERY_CHILDS,
    on: date | None = None,
) -> list[dict[str, Any]]:
    """The advice asked for, on ``on`` (today by default), in the re-assessment under way (by
    default what every child's re-assessment needs); the plan's re-assessments."""
    body = {"kinds": kinds, "requested_on": str(london_today() if on is None else on)}
    answer: list[dict[str, Any]] = await _post(client, f"{base}/reassessment/advice-requests", body)
    return answer


async def _audited(owner_url: str, referral_id: UUID) -> int:
    """The re-assessment's changes audited."""
    conn = await owner_connection(owner_url)
    try:
        count: int = await conn.fetchval(
            """SELECT count(*) FROM audit_log WHERE referral_id = $1 AND resource = 'reassessment'
               AND action = 'update'""",
            referral_id,
        )
    finally:
        await conn.close()
    return count


async def test_advice_is_asked_for_and_received_as_limits_of_the_reassessment(
    app: FastAPI, owner_url: str, caseworker: httpx.AsyncClient, today: date
) -> None:
    base = await reassessing(caseworker, told_on=today - timedelta(days=3))
    audited_before = await _audited(owner_url, UUID(base.rsplit("/", 1)[1]))
    path = f"{base}/reassessment/advice-requests"
    body = {"kinds": EVERY_CHILDS, "requested_on": str(today - timedelta(days=2))}
    first = await caseworker.post(path, json=body, headers={"Idempotency-Key": "ra-1"})
    assert first.status_code == 200, first.text
    again = await caseworker.post(path, json=body, headers={"Idempotency-Key": "ra-1"})
    assert again.json() == first.json()  # the retry's first answer; nothing twice
    [running] = first.json()
    limits = {d["kind"]: d for d in running["deadlines"]}
    due = str(today - timedelta(days=2) + timedelta(weeks=6))
    assert {k: d["due_on"] for k, d in limits.items() if k.startswith("advice:")} == {
        f"advice:{kind}": due for kind in EVERY_CHILDS
    }
    twice = await caseworker.post(path, json={**body, "kinds": ["medical"]})
    assert twice.status_code == 409, twice.text
    early = await caseworker.post(
        path, json={"kinds": ["other"], "requested_on": str(today - timedelta(days=4))}
    )
    assert early.status_code == 422, early.text
    assert early.json()["detail"][0]["loc"] == ["body", "requested_on"]

    received = f"{base}/reassessment/advice-received"
    future = await caseworker.post(
        received, json={"kind": "medical", "received_on": str(today + timedelta(days=1))}
    )
    assert future.status_code == 422, future.text
    assert future.json()["detail"][0]["loc"] == ["body", "received_on"]
    [got] = await _post(caseworker, received, {"kind": "medical", "received_on": str(today)})
    assert {d["kind"]: d["met_on"] for d in got["deadlines"]}["advice:medical"] == str(today)
    repeat = await caseworker.post(received, json={"kind": "medical", "received_on": str(today)})
    assert repeat.status_code == 409, repeat.text
    never = await caseworker.post(
        received, json={"kind": "teacher_of_the_deaf", "received_on": str(today)}
    )
    assert never.status_code == 409, never.text

    view = (await caseworker.get(base)).json()
    steps = [(t["step"], t["detail"]) for t in view["timeline"]]
    assert ("reassessment_advice_requested", ",".join(EVERY_CHILDS)) in steps
    assert ("reassessment_advice_received", "medical") in steps
    referral_id = UUID(base.rsplit("/", 1)[1])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as family:
        page = (await family.get(f"/v1/family/{link(referral_id)}")).json()
    said = [s["what"] for s in page["steps"]]
    assert "We asked professionals for their advice for the re-assessment" in said
    assert "A professional sent us their advice for the re-assessment" in said
    # asked, received: audited once each (the retry and the refusals recorded nothing)
    assert await _audited(owner_url, referral_id) == audited_before + 2


async def test_the_outcome_waits_for_the_advice_the_law_requires(
    caseworker: httpx.AsyncClient,
    today: date,
) -> None:
    base = await reassessing(caseworker, needs=["HI", "ASD"])
    amended = {"outcome": "plan_amended", "concluded_on": str(today)}
    refused = await caseworker.post(f"{base}/reassessment/outcome", json=amended)
    assert refused.status_code == 409, refused.text
    assert "teacher_of_the_deaf" in refused.json()["detail"]
    await ask_for_advice(caseworker, base)
    still = await caseworker.post(f"{base}/reassessment/outcome", json=amended)
    assert still.status_code == 409, still.text  # a hearing impairment: a teacher of the deaf
    assert "['teacher_of_the_deaf']" in still.json()["detail"]
    await ask_for_advice(caseworker, base, ["teacher_of_the_deaf"])
    [done] = await _post(caseworker, f"{base}/reassessment/outcome", amended)
    assert done["stage"] == "concluded"


async def test_an_amended_plan_is_reviewed_within_twelve_months_of_its_issue(
    owner_url: str, caseworker: httpx.AsyncClient, today: date
) -> None:
    """The plan's review scheduled before (12 months from its last review) is replaced by one
    within 12 months of the amended plan's issue (Reg 20); a decision not to amend keeps it."""
    base = await reassessing(
        caseworker, told_on=today - timedelta(days=3),
        last_reviewed_on=str(today - timedelta(days=200)),
    )  # fmt: skip
    [before] = (await caseworker.get(f"{base}/annual-reviews")).json()
    assert before["due_on"] == str(add_months(today - timedelta(days=200), 12))
    await ask_for_advice(caseworker, base, on=today - timedelta(days=2))
    issued = today - timedelta(days=1)
    await _post(caseworker, f"{base}/reassessment/outcome", {
        "outcome": "plan_amended", "concluded_on": str(issued)})  # fmt: skip
    [review] = (await caseworker.get(f"{base}/annual-reviews")).json()
    assert review["due_on"] == str(add_months(issued, 12))
    assert review["stage"] == "scheduled"
    assert {d["kind"]: d["due_on"] for d in review["deadlines"]} == {
        "review_meeting": str(add_months(issued, 12))
    }

    kept = await reassessing(caseworker, last_reviewed_on=str(today - timedelta(days=200)))
    await ask_for_advice(caseworker, kept)
    await _post(caseworker, f"{kept}/reassessment/outcome", {
        "outcome": "plan_not_amended", "concluded_on": str(today),
        "note": "The plan already sets out what the assessment found."})  # fmt: skip
    [same] = (await caseworker.get(f"{kept}/annual-reviews")).json()
    assert same["due_on"] == str(add_months(today - timedelta(days=200), 12))


async def test_the_scheduler_warns_of_an_advisers_limit_once(
    app: FastAPI, owner_url: str, caseworker: httpx.AsyncClient, today: date
) -> None:
    asked = today - timedelta(days=40)
    reviewed = str(today - timedelta(days=100))
    base = await reassessing(caseworker, told_on=asked, last_reviewed_on=reviewed)
    await ask_for_advice(caseworker, base, ["medical", "parent"], on=asked)
    await ask_for_advice(caseworker, base, ["social_care"], on=asked)
    await _post(caseworker, f"{base}/reassessment/advice-received", {
        "kind": "social_care", "received_on": str(today)})  # fmt: skip
    referral_id = base.rsplit("/", 1)[1]
    due = asked + timedelta(weeks=6)
    work = service_state(app).work
    conn = await asyncpg.connect(service_url(owner_url))
    try:

        async def check(day: date) -> list[str]:
            watch = PlanWatch(at_risk_days=10, interval_s=60, today=lambda: day)
            await watch.check(work, conn)  # a new watch each time: a restart
            return [
                f"{topic.split('.')[1]}:{data['deadline']}"
                for topic, data in await outbox_events(owner_url, referral_id)
                if topic.startswith("referrals.live-plan-deadline-")
                and data["deadline"].startswith("advice:")
            ]

        # social care's was received; the family's own advice is never warned of (Reg 8 binds
        # the advisers, not the family)
        at_risk = ["live-plan-deadline-at-risk:advice:medical"]
        assert await check(due - timedelta(days=10)) == at_risk
        assert await check(due - timedelta(days=9)) == at_risk  # once
        missed = [*at_risk, "live-plan-deadline-missed:advice:medical"]
        assert await check(due + timedelta(days=1)) == missed
        assert await check(due + timedelta(days=2)) == missed
    finally:
        await conn.close()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as family:
        page = (await family.get(f"/v1/family/{link(UUID(referral_id))}")).json()
    said = [s["what"] for s in page["steps"]]
    # the adviser's limit, not the council's: said as the law has it (Reg 8)
    assert "A professional's advice did not come within the 6 weeks the law gives them" in said
    assert "We did not meet a legal time limit; we are sorry" not in said
