"""A plan transferred in from another council (Reg 15) and a re-assessment (Regs 24-27) on real
PostgreSQL: the transfer becomes a plan in force with its review due when Reg 15 says and the
family's 6 weeks on the clock; telling the family of a new assessment starts a re-assessment
with its 14 weeks; a request for a re-assessment has 15 days; steps out of order are 409, bad
dates 422 naming the field, a retry with its Idempotency-Key gets the first answer; the
scheduler warns of each limit at risk and missed, once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from html import unescape
from typing import Any
from uuid import UUID
from xml.etree import ElementTree as ET

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from referrals.live.plan_watch import PlanWatch
from referrals.notices.letters import LetterKind, html

from scripts.platform import IdentityProvider, migrations_of, service_url
from shared.dates import add_months
from shared.state import service_state
from tests.conftest import Databases
from tests.integration.plans_family import link
from tests.integration.referrals_app import outbox_events, referrals_service, signed_in
from tests.integration.test_live_plans_import import plan
from tests.integration.test_notices import NOTICES, _printed
from tests.integration.test_reassessment_advice import ask_for_advice
from tests.logging_state import restored_logging

TRANSFERS = "/v1/live-plans/transfers-in"


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("transfers_in", "referrals", migrations_of("referrals"))


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


def _transfer(transferred_on: date, **changes: Any) -> dict[str, Any]:
    return {
        "plan": plan(**changes),
        "from_council": "E08000036",
        "transferred_on": str(transferred_on),
    }


async def _topics(owner_url: str, referral_id: str) -> list[str]:
    return [topic.split(".")[1] for topic, _ in await outbox_events(owner_url, referral_id)]


async def test_a_transferred_plan_is_reviewed_three_months_after_the_transfer_at_the_earliest(
    owner_url: str, caseworker: httpx.AsyncClient, today: date
) -> None:
    moved = today - timedelta(days=10)
    body = _transfer(moved, last_reviewed_on=str(today - timedelta(days=330)))
    answer = await caseworker.post(TRANSFERS, json=body, headers={"Idempotency-Key": "t-1"})
    assert answer.status_code == 200, answer.text
    again = await caseworker.post(TRANSFERS, json=body, headers={"Idempotency-Key": "t-1"})
    assert again.json() == answer.json()  # the retry's first answer; nothing twice
    transfer = answer.json()
    referral_id = transfer["referral_id"]
    # 12 months from the review (35 days away) is sooner than 3 months from the transfer.
    assert transfer["review_due"] == str(add_months(moved, 3))
    assert transfer["decide_by"] == str(moved + timedelta(weeks=6))
    reviews = (await caseworker.get(f"/v1/referrals/{referral_id}/annual-reviews")).json()
    assert reviews[0]["due_on"] == str(add_months(moved, 3))
    assert {d["kind"]: d["due_on"] for d in reviews[0]["deadlines"]} == {
        "review_meeting": str(add_months(moved, 3))
    }
    events = dict(await outbox_events(owner_url, referral_id))
    assert events["referrals.live-plan-imported.v1"]["review_due"] == str(add_months(moved, 3))
    assert events["referrals.plan-transferred-in.v1"]["from_council"] == "E08000036"
    assert (await _topics(owner_url, referral_id)).count("plan-transferred-in") == 1
    timeline = (await caseworker.get(f"/v1/referrals/{referral_id}")).json()["timeline"]
    steps = [s["step"] for s in timeline]
    assert "plan_transferred_in" in steps
    assert "live_plan_imported" not in steps


async def test_a_transfer_checks_its_dates_and_names_the_field(
    caseworker: httpx.AsyncClient,
    today: date,
) -> None:
    future = await caseworker.post(TRANSFERS, json=_transfer(today + timedelta(days=1)))
    assert future.status_code == 422, future.text
    assert future.json()["detail"][0]["loc"] == ["body", "transferred_on"]
    same = {**_transfer(today), "from_council": "E08000035"}
    answer = await caseworker.post(TRANSFERS, json=same)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "from_council"]
    reviewed_after = _transfer(today - timedelta(days=5), last_reviewed_on=str(today))
    answer = await caseworker.post(TRANSFERS, json=reviewed_after)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "plan", "last_reviewed_on"]
    bad_plan = _transfer(today, needs=["ASD", "ASD"])
    answer = await caseworker.post(TRANSFERS, json=bad_plan)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"][:3] == ["body", "plan", "needs"]


async def test_telling_the_family_of_a_new_assessment_starts_a_reassessment(
    owner_url: str, caseworker: httpx.AsyncClient, today: date
) -> None:
    moved = today - timedelta(days=20)
    made = await _post(caseworker, TRANSFERS, _transfer(moved))
    referral_id = made["referral_id"]
    base = f"/v1/referrals/{referral_id}"
    early = await caseworker.post(f"{base}/transfer-in/decision", json={
        "reassess": True, "told_on": str(moved - timedelta(days=1))})  # fmt: skip
    assert early.status_code == 422, early.text
    assert early.json()["detail"][0]["loc"] == ["body", "told_on"]
    told = await _post(
        caseworker, f"{base}/transfer-in/decision", {"reassess": True, "told_on": str(today)}
    )
    assert (told["told_on"], told["met_on"], told["reassess"]) == (str(today),) * 2 + (True,)
    twice = await caseworker.post(
        f"{base}/transfer-in/decision", json={"reassess": False, "told_on": str(today)}
    )
    assert twice.status_code == 409, twice.text
    [running] = (await caseworker.get(f"{base}/reassessments")).json()
    assert (running["stage"], running["requested_by"]) == ("reassessing", "council")
    limits = {d["kind"]: d for d in running["deadlines"]}
    assert limits["reassessment_plan"]["due_on"] == str(today + timedelta(weeks=14))
    events = dict(await outbox_events(owner_url, referral_id))
    decided = events["referrals.transferred-plan-decided.v1"]
    assert decided["finalise_by"] == str(today + timedelta(weeks=14))
    assert decided["late"] is False
    # The re-assessment ends in the plan amended or not amended, which can be appealed, once
    # the advice the law requires was asked for (Regs 6, 25).
    await ask_for_advice(caseworker, base)
    done = await _post(caseworker, f"{base}/reassessment/outcome", {
        "outcome": "plan_not_amended", "concluded_on": str(today),
        "note": "The plan already sets out what the assessment found."})  # fmt: skip
    assert done[0]["stage"] == "concluded"
    events = dict(await outbox_events(owner_url, referral_id))
    assert events["referrals.reassessment-concluded.v1"]["appeal_by"] == str(add_months(today, 2))


async def test_a_reassessment_request_is_decided_within_fifteen_days_in_order(
    owner_url: str, caseworker: httpx.AsyncClient, today: date
) -> None:
    moved, reviewed = today - timedelta(days=200), today - timedelta(days=300)
    made = await _post(caseworker, TRANSFERS, _transfer(moved, last_reviewed_on=str(reviewed)))
    base = f"/v1/referrals/{made['referral_id']}"
    refusal = {"reassess": False, "decided_on": str(today), "note": "Nothing has changed."}
    not_yet = await caseworker.post(f"{base}/reassessment/decision", json=refusal)
    assert not_yet.status_code == 409, not_yet.text
    asked_on = today - timedelta(days=3)
    body = {"requested_by": "school", "requested_on": str(asked_on)}
    [asked] = await _post(caseworker, f"{base}/reassessment/request", body)
    assert asked["deadlines"] == [
        {"kind": "reassessment_decision", "due_on": str(asked_on + timedelta(days=15)),
         "met_on": None}
    ]  # fmt: skip
    second = await caseworker.post(f"{base}/reassessment/request", json=body)
    assert second.status_code == 409, second.text  # one at a time
    outcome_first = await caseworker.post(f"{base}/reassessment/outcome", json={
        "outcome": "plan_amended", "concluded_on": str(today)})  # fmt: skip
    assert outcome_first.status_code == 409, outcome_first.text
    [refused] = await _post(caseworker, f"{base}/reassessment/decision", refusal)
    assert refused["stage"] == "refused"
    assert refused["deadlines"][0]["met_on"] == str(today)
    events = dict(await outbox_events(owner_url, made["referral_id"]))
    assert events["referrals.reassessment-decided.v1"]["appeal_by"] == str(add_months(today, 2))


async def test_a_request_about_a_referral_without_a_plan_is_refused(
    caseworker: httpx.AsyncClient,
    today: date,
) -> None:
    from tests.integration.referrals_app import referral_body

    made = await caseworker.post("/v1/referrals", json=referral_body())
    assert made.status_code in (200, 201, 202), made.text
    referral_id = made.json()["id"] if "id" in made.json() else made.json()["referral_id"]
    answer = await caseworker.post(
        f"/v1/referrals/{referral_id}/reassessment/request",
        json={"requested_by": "parent", "requested_on": str(today)},
    )
    assert answer.status_code == 409, answer.text


async def test_the_scheduler_warns_of_each_limit_once(
    app: FastAPI, owner_url: str, caseworker: httpx.AsyncClient, today: date
) -> None:
    moved = today - timedelta(days=2)
    made = await _post(caseworker, TRANSFERS, _transfer(moved))
    referral_id = made["referral_id"]
    due = moved + timedelta(weeks=6)
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
            ]

        assert await check(due - timedelta(days=11)) == []
        at_risk = ["live-plan-deadline-at-risk:transfer_decision"]
        assert await check(due - timedelta(days=10)) == at_risk
        assert await check(due - timedelta(days=9)) == at_risk  # once
        missed = [*at_risk, "live-plan-deadline-missed:transfer_decision"]
        assert await check(due + timedelta(days=20)) == missed
        assert await check(due + timedelta(days=21)) == missed
    finally:
        await conn.close()


async def test_the_sen2_return_names_the_council_a_plan_was_transferred_from(
    app: FastAPI, identity: IdentityProvider, caseworker: httpx.AsyncClient, today: date
) -> None:
    body = _transfer(today - timedelta(days=5))
    body["plan"]["child"]["family_name"] = "Transferred"
    made = await _post(caseworker, TRANSFERS, body)
    assert made["from_council"] == "E08000036"
    imported = plan()
    imported["child"]["family_name"] = "Imported"
    async with await signed_in(app, identity, "leeds-manager") as manager:
        await _post(manager, "/v1/live-plans/import", {"plans": [imported]})
        response = await manager.get(
            "/v1/reports/sen2",
            params={"local_authority": "E08000035", "census_date": str(today), "format": "xml"},
        )
    assert response.status_code == 200, response.text
    root = ET.fromstring(response.content)  # noqa: S314  # our own service's answer
    people = root.findall("Persons/Person")
    [moved] = [p for p in people if p.findtext("Surname") == "Transferred"]
    assert moved.findtext("Requests/Request/Plan/TransferLA") == "E08000036"
    [kept] = [p for p in people if p.findtext("Surname") == "Imported"]
    assert not kept.findtext("Requests/Request/Plan/TransferLA")  # brought in, not transferred


async def test_the_caseload_shows_a_transfers_six_weeks_as_the_next_deadline(
    caseworker: httpx.AsyncClient,
    today: date,
) -> None:
    """The 6 weeks to decide whether to reassess (Reg 15) come before the review: the caseload
    orders by them and its "at risk" filter finds the plan (it saw only the review before)."""
    moved = today - timedelta(days=40)
    body = _transfer(moved, last_reviewed_on=str(today - timedelta(days=100)))
    transfer = await _post(caseworker, TRANSFERS, body)
    referral_id = transfer["referral_id"]
    assert transfer["decide_by"] == str(today + timedelta(days=2))

    async def row() -> dict[str, Any]:
        found = await caseworker.post(
            "/v1/referrals/search", json={"text": referral_id, "include_closed": True}
        )
        (item,) = found.json()["items"]
        return dict(item)

    first = await row()
    assert (first["next_deadline"], first["next_due_on"]) == (
        "transfer_decision", transfer["decide_by"],
    )  # fmt: skip
    at_risk = await caseworker.get("/v1/referrals", params={"deadline": "at_risk", "limit": 200})
    assert referral_id in {i["id"] for i in at_risk.json()["items"]}
    decided = await _post(
        caseworker,
        f"/v1/referrals/{referral_id}/transfer-in/decision",
        {"reassess": False, "told_on": str(today)},
    )
    assert decided
    assert (await row())["next_deadline"] == "review_meeting"


async def test_a_refusal_to_reassess_and_a_decision_not_to_amend_each_write_a_letter(
    app: FastAPI, caseworker: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, today: date
) -> None:
    """A refusal to re-assess (s51(2)(d)) and a decision not to amend the plan after one
    (s51(2)(e)) can be appealed: each letter gives the reasons and the right to appeal, and
    the family opens it; a decision to re-assess gives none. A refusal without reasons: 422."""
    printed = _printed(monkeypatch)
    moved, reviewed = today - timedelta(days=200), today - timedelta(days=300)
    made = await _post(caseworker, TRANSFERS, _transfer(moved, last_reviewed_on=str(reviewed)))
    referral_id = made["referral_id"]
    base = f"/v1/referrals/{referral_id}"
    asked = {"requested_by": "parent", "requested_on": str(today - timedelta(days=2))}
    await _post(caseworker, f"{base}/reassessment/request", asked)
    unreasoned = await caseworker.post(
        f"{base}/reassessment/decision", json={"reassess": False, "decided_on": str(today)}
    )
    assert unreasoned.status_code == 422, unreasoned.text
    assert unreasoned.json()["detail"][0]["loc"] == ["body", "note"]
    reasons = "The reports since the last review show no change in needs."
    refusal = {"reassess": False, "decided_on": str(today), "note": reasons}
    await _post(caseworker, f"{base}/reassessment/decision", refusal)
    [letter] = printed
    assert (letter.kind, letter.dated) == (LetterKind.REASSESSMENT_REFUSED, today)
    words = unescape(html(letter))
    assert "We will not carry out a new EHC needs assessment for" in words
    assert reasons in words
    assert f"You must appeal by {add_months(today, 2).day} " in words
    assert "within 1 month of the date on your mediation certificate" in words

    await _post(caseworker, f"{base}/reassessment/request", asked)
    await _post(
        caseworker, f"{base}/reassessment/decision", {"reassess": True, "decided_on": str(today)}
    )
    agreed = printed[-1]
    assert agreed.kind == LetterKind.REASSESSMENT_AGREED
    assert "appeal" not in unescape(html(agreed)).lower()
    kept_not = "The plan already sets out the provision the assessment found is needed."
    await ask_for_advice(caseworker, base)
    await _post(caseworker, f"{base}/reassessment/outcome", {
        "outcome": "plan_not_amended", "concluded_on": str(today), "note": kept_not})  # fmt: skip
    not_amended = printed[-1]
    assert not_amended.kind == LetterKind.REASSESSMENT_NOT_AMENDED
    assert kept_not in unescape(html(not_amended))
    assert "You must appeal by" in unescape(html(not_amended))

    token = link(UUID(referral_id))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as family:
        page = await family.get(f"/v1/family/{token}")
        assert page.status_code == 200, page.text
        listed = {letter["what"]: letter["id"] for letter in page.json()["letters"]}
        assert set(listed) == {
            "Our decision not to carry out a new EHC needs assessment",
            "Our decision to carry out a new EHC needs assessment",
            "Our decision not to amend the EHC plan after the re-assessment and your right "
            "to appeal",
        }
        opened = await family.get(f"/v1/family/{token}/letters/{listed[next(iter(listed))]}")
    assert opened.content.startswith(b"%PDF-")
