"""The EHC plan built from the assessment, through plans' handlers and API on real PostgreSQL
(issue 21): the intake plan is the support plan; the decision to issue drafts the EHC plan
from the advice received, its catalogue lines confirmed one by one; issuing refuses deferred
or short provision and health provision without the commissioner's agreement; finalising
refuses placeholders and dates the outcomes from the issue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI

from scripts.platform import IdentityProvider, migrations_of
from shared.dates import add_months, london_today
from shared.events import AdviceReceived, AdviceSummary, PlanIssueDecided, wrap
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.plans_app import drafted, handled, plans_service
from tests.integration.referrals_app import outbox_events, signed_in


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("ehcplan", "plans", migrations_of("plans"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with plans_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


async def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


async def _handled(owner_url: str, *events: Any) -> None:
    conn = await owner_connection(owner_url)
    try:
        for event in events:
            async with conn.transaction():
                await handled(conn, wrap(event, source="/t", local_authority="E08000035"))
    finally:
        await conn.close()


def _step(referral_id: UUID) -> dict[str, Any]:
    return {
        "referral_id": referral_id, "local_authority": "E08000035", "requested_by": "parent",
        "ehc_requested_on": london_today() - timedelta(weeks=14),
    }  # fmt: skip


async def test_the_decision_to_issue_drafts_the_ehc_plan_from_the_advice_confirmed_line_by_line(
    caseworker: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    referral_id = await drafted(owner_url, track="ehc")
    path = f"/v1/referrals/{referral_id}/plan"
    intake = await _ok(await caseworker.get(path))
    assert (intake["track"], intake["sections"]["track"]) == ("ehc", "support")
    document_id = uuid4()
    advice = AdviceReceived(
        **_step(referral_id), kind="educational_psychology", received_on=today - timedelta(1),
        due_on=today, on_time=True, document_id=document_id,
        summary=AdviceSummary(
            needs="Finds it hard to follow spoken instructions",
            outcomes_sought="Follows two-step instructions in class",
            provision_recommended="Daily small-group language work",
        ),
    )  # fmt: skip
    decided = PlanIssueDecided(
        **_step(referral_id), decision="issue", decided_on=today,
        not_issue_due=today + timedelta(weeks=2),
    )  # fmt: skip
    await _handled(owner_url, advice, decided, decided)  # a second copy changes nothing
    plan = await _ok(await caseworker.get(path))
    sections = plan["sections"]
    assert sections["track"] == "ehc"
    [k] = sections["K"]
    assert (k["kind"], k["received_on"], k["document_id"]) == (
        "educational_psychology", str(today - timedelta(1)), str(document_id),
    )  # fmt: skip
    assert k["provision_recommended"] == "Daily small-group language work"
    lines = [*sections["E"], *sections["F"], *sections["G"]]
    assert lines
    assert all(line["suggested"] for line in lines)
    reasons = [v["reason"] for v in await _ok(await caseworker.get(f"{path}/versions"))]
    assert reasons == [
        "drafted",
        "advice received",
        "the EHC plan drafted from the advice received",
    ]
    revised = [d["reason"] for t, d in await outbox_events(owner_url, referral_id)]
    assert revised == ["advice_received", "ehc_plan_drafted"]

    refused = await caseworker.post(f"{path}/issue", json={})
    assert refused.status_code == 409
    assert f"F {sections['F'][0]['id']}: suggested by the catalogue" in refused.json()["detail"]

    first = sections["F"][0]["id"]
    done = await _ok(
        await caseworker.post(
            f"{path}/lines/{first}/confirm", json={}, headers={"If-Match": f'"{plan["version"]}"'}
        )
    )
    assert done["version"] == plan["version"] + 1
    assert [p["suggested"] for p in done["sections"]["F"]][:1] == [False]
    assert all(p["suggested"] for p in done["sections"]["F"][1:])
    again = await caseworker.post(f"{path}/lines/{first}/confirm", json={})
    assert again.status_code == 409
    stale = await caseworker.post(
        f"{path}/lines/{sections['E'][0]['id']}/confirm", json={"version": plan["version"]}
    )
    assert stale.status_code == 409
    assert (await caseworker.post(f"{path}/lines/provision-99/confirm", json={})).status_code == 404
    latest = await _ok(await caseworker.get(f"{path}/versions"))
    assert latest[-1]["changed_by"] == "leeds-caseworker"


async def test_issuing_refuses_deferred_or_short_provision_and_unagreed_health_provision(
    caseworker: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    referral_id = await drafted(owner_url, track="ehc", issue_decided=True)
    path = f"/v1/referrals/{referral_id}/plan"
    plan = await _ok(await caseworker.get(path))
    f = plan["sections"]["F"]

    async def edited(key: str, content: list[dict[str, Any]]) -> Any:
        return await _ok(
            await caseworker.put(f"{path}/sections/{key}", json={"content": content, "reason": "t"})
        )

    deferring = "speech and language assessment, then a language programme written for the child"
    await edited("F", [{**f[0], "support": deferring}, *f[1:]])
    refused = await caseworker.post(f"{path}/issue", json={})
    assert refused.status_code == 409
    assert "leaves the provision to be decided later" in refused.json()["detail"]

    await edited("F", [{**f[0], "weeks": 12, "sessions_per_week": 3}, *f[1:]])
    refused = await caseworker.post(f"{path}/issue", json={})
    assert refused.status_code == 409
    assert "runs 12 weeks of a plan reviewed after 12 months" in refused.json()["detail"]

    audiology = {
        **f[0], "id": "provision-90", "support": "an audiology review (hearing test)",
        "delivered_by": "a paediatric audiologist (NHS audiology service)", "role": None,
        "sessions_per_week": 1, "minutes_per_session": 60, "weeks": 1, "group_size": 1,
        "where": "audiology clinic", "standard_id": "caseworker", "suggested": False,
        "health_agreement": None,
    }  # fmt: skip
    await edited("F", f)
    await edited("G", [audiology])
    refused = await caseworker.post(f"{path}/issue", json={})
    assert refused.status_code == 409
    assert (
        "G provision-90: the health commissioning body's agreement is not recorded"
        in (refused.json()["detail"])
    )
    agreement = f"{path}/lines/provision-90/health-agreement"
    blank = await caseworker.post(agreement, json={"agreed_by": "", "agreed_on": str(today)})
    assert blank.status_code == 422
    assert blank.json()["detail"][0]["loc"] == ["body", "agreed_by"]
    future = await caseworker.post(
        agreement, json={"agreed_by": "NHS ICB", "agreed_on": str(today + timedelta(1))}
    )
    assert future.status_code == 422
    assert future.json()["detail"][0]["loc"][-1] == "agreed_on"
    icb = "NHS West Yorkshire Integrated Care Board"
    agreed = await _ok(
        await caseworker.post(agreement, json={"agreed_by": icb, "agreed_on": str(today)})
    )
    assert agreed["sections"]["G"][0]["health_agreement"] == {
        "agreed_by": icb, "agreed_on": str(today), "recorded_by": "leeds-caseworker",
    }  # fmt: skip
    issued = await _ok(await caseworker.post(f"{path}/issue", json={}))
    assert issued["status"] == "issued_for_comment"


async def test_finalising_refuses_placeholders_and_dates_the_outcomes_from_the_issue(
    caseworker: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    referral_id = await drafted(owner_url, track="ehc", issue_decided=True)
    path = f"/v1/referrals/{referral_id}/plan"
    await _ok(
        await caseworker.put(
            f"{path}/sections/C",
            json={"content": "To be written with the family and the professionals who know the "
                  "child.", "reason": "t"},
        )
    )  # fmt: skip
    await _ok(await caseworker.post(f"{path}/issue", json={}))
    await _ok(await caseworker.post(f"{path}/response", json={"agreed": True, "comments": "ok"}))
    refused = await caseworker.post(f"{path}/finalise", json={})
    assert refused.status_code == 409
    assert 'section C: still says "To be written' in refused.json()["detail"]
    for key, text in (("C", "Glue ear, monitored by audiology."), ("I", "Oak Lane")):
        await _ok(
            await caseworker.put(f"{path}/sections/{key}", json={"content": text, "reason": "t"})
        )
    refused = await caseworker.post(f"{path}/finalise", json={})
    assert refused.status_code == 409
    assert "section I: name the school or college by its URN" in refused.json()["detail"]
    await _ok(
        await caseworker.put(
            f"{path}/sections/I",
            json={"content": "Oak Lane Primary School (URN 107001)", "reason": "t"},
        )
    )
    final = await _ok(await caseworker.post(f"{path}/finalise", json={}))
    review = add_months(today, 12)
    assert final["status"] == "final"
    assert {o["review_on"] for o in final["sections"]["E"]} == {str(review)}
    assert all(
        o["text"].startswith(f"By {review.day} {review:%B %Y}, ") for o in final["sections"]["E"]
    )
    assert all(c["passed"] for c in final["checks"])


async def test_an_imported_open_requests_steps_with_no_plan_here_are_not_dead_lettered(
    owner_url: str,
    today: date,
) -> None:
    """An open request brought in from the council's earlier system (#22) has no plan here:
    its advice received and its decision to issue are skipped, not waited for; the same steps
    taken here for a referral with no plan yet still raise (dead-lettered, replayed later)."""
    referral_id = uuid4()
    advice = AdviceReceived(
        **_step(referral_id), kind="medical", received_on=today - timedelta(3), due_on=today,
        on_time=True, earlier_system=True,
    )  # fmt: skip
    decided = PlanIssueDecided(
        **_step(referral_id), decision="issue", decided_on=today - timedelta(1),
        not_issue_due=today + timedelta(days=14), earlier_system=True,
    )  # fmt: skip
    await _handled(owner_url, advice, decided)
    with pytest.raises(LookupError):
        await _handled(owner_url, advice.model_copy(update={"earlier_system": False}))
