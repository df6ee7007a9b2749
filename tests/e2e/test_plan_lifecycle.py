"""A plan's life across the running platform, through real Kafka: an EHC plan issued and
finalised in plans reaches referrals' statutory record and timeline (one source of truth for
the clock), with the family told once; a support plan shared reaches the family as a message."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from plans.document import PlanDocument
from pydantic import SecretStr

from scripts.platform import Platform
from shared.family_links import mint
from shared.settings import ServiceSettings
from tests.e2e.conftest import wait_for_timeline
from tests.e2e.test_journey import referral_body
from tests.plan_documents import made_ready


@pytest.fixture
async def plans_api(
    platform: Platform, caseworker: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=platform.url("plans"), timeout=10, headers=caseworker
    ) as client:
        yield client


async def _eventually(
    attempt: Callable[[], Awaitable[httpx.Response]], what: str, timeout_s: float = 30
) -> Any:
    """Retry ``attempt`` until it answers 2xx (the event it waits for has been consumed)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        response = await attempt()
        if response.is_success:
            return response.json()
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"{what}: still {response.status_code} after {timeout_s}s: {response.text}")
        await asyncio.sleep(0.1)


def _family_token(platform: Platform, referral_id: str) -> str:
    key = platform.env.get("FAMILY_LINK_KEY")
    default = ServiceSettings.model_fields["family_link_key"].default
    return mint(
        SecretStr(key) if key else default, referral_id=UUID(referral_id),
        local_authority="E08000035", valid_for=timedelta(days=1),
    )  # fmt: skip


async def _templates(platform: Platform, caseworker: dict[str, str], referral_id: str) -> list[str]:
    async with httpx.AsyncClient(timeout=10, headers=caseworker) as client:
        url = f"{platform.url('notifications')}/v1/referrals/{referral_id}/notifications"
        return [a["template"] for a in (await client.get(url)).json()]


async def test_an_ehc_plan_issued_and_finalised_in_plans_reaches_the_statutory_record(
    referrals_api: httpx.AsyncClient,
    plans_api: httpx.AsyncClient,
    platform: Platform,
    caseworker: dict[str, str],
    today: date,
) -> None:
    received = today - timedelta(weeks=14)
    body = {**referral_body(), "track": "ehc", "received_on": str(received)}
    body["child"] = {**body["child"], "nhs_number": None}
    created = await referrals_api.post("/v1/referrals", json=body)
    assert created.status_code == 201, created.text
    referral_id = created.json()["id"]
    path = f"/v1/referrals/{referral_id}"
    await wait_for_timeline(referrals_api, referral_id, ("plan_drafted",))
    week5, week9 = str(received + timedelta(weeks=5)), str(received + timedelta(weeks=9))
    for step, step_body in (
        ("assessment-decision", {"decision": "assess", "decided_on": week5}),
        (
            "advice-requests",
            {
                "kinds": [
                    "parent",
                    "educational",
                    "educational_psychology",
                    "medical",
                    "social_care",
                ],
                "requested_on": week5,
            },
        ),
        ("advice-requests/educational_psychology/received", {"received_on": week9}),
        ("plan-decision", {"decision": "issue", "decided_on": str(today)}),
    ):
        answer = await referrals_api.post(f"{path}/{step}", json=step_body)
        assert answer.status_code == 200, (step, answer.text)

    # Plans hears of the decision (and the advice, for section K) through Kafka: it drafts the
    # EHC plan, which the caseworker makes ready (every suggested line confirmed...) to issue.
    async def ehc_plan_drafted() -> httpx.Response:
        answer = await plans_api.get(f"{path}/plan")
        ehc = answer.is_success and answer.json()["sections"]["track"] == "ehc"
        return answer if ehc else httpx.Response(404, json={})

    drafted = await _eventually(ehc_plan_drafted, "the EHC plan drafted")
    ready = made_ready(PlanDocument.model_validate(drafted["sections"]), today)
    for key in ("C", "D", "E", "F", "G", "H1", "H2", "I", "J"):
        content = ready.model_dump(mode="json")[key]
        edited = await plans_api.put(
            f"{path}/plan/sections/{key}", json={"content": content, "reason": "from the advice"}
        )
        assert edited.status_code == 200, (key, edited.text)
    # Each suggested line confirmed, and each line of G agreed, by their own steps.
    sections = edited.json()["sections"]
    for line in [*sections["E"], *sections["F"], *sections["G"]]:
        if line["suggested"]:
            confirmed = await plans_api.post(f"{path}/plan/lines/{line['id']}/confirm", json={})
            assert confirmed.status_code == 200, confirmed.text
    for line in sections["G"]:
        agreed = await plans_api.post(
            f"{path}/plan/lines/{line['id']}/health-agreement",
            json={"agreed_by": "NHS West Yorkshire ICB", "agreed_on": str(today)},
        )
        assert agreed.status_code == 200, agreed.text
    plan = (await plans_api.post(f"{path}/plan/issue", json={})).json()
    assert plan["status"] == "issued_for_comment"
    assert plan["comments_until"] == str(today + timedelta(days=15))
    referral = await wait_for_timeline(referrals_api, referral_id, ("draft_plan_issued",))
    assert referral["ehc"]["stage"] == "draft_plan_issued"
    assert referral["ehc"]["comments_due"] == plan["comments_until"]

    token = _family_token(platform, referral_id)
    done = await plans_api.post(
        f"/v1/family/{token}/plan/comments",
        json={"comments": "Nothing more", "agree": True, "preferred_school": "Oak Lane"},
    )
    assert done.status_code == 201, done.text
    final = await plans_api.post(f"{path}/plan/finalise", json={})
    assert final.status_code == 200, final.text

    steps = ("plan_comments_received", "final_plan_issued", "plan_revised")
    referral = await wait_for_timeline(referrals_api, referral_id, steps)
    assert referral["ehc"]["stage"] == "final_plan_issued"
    assert referral["closed"] is True
    deadlines = {d["kind"]: d for d in referral["ehc"]["deadlines"]}
    assert deadlines["final_plan"]["state"] == "met"
    timeline = [t["step"] for t in referral["timeline"]]
    assert timeline.count("draft_plan_issued") == 1
    assert timeline.count("final_plan_issued") == 1
    k = (await plans_api.get(f"{path}/plan")).json()["sections"]["K"]
    assert [a["kind"] for a in k] == ["educational_psychology"]

    # The family hears of the draft and the final plan once each: referrals' statutory messages.
    async def told_of_both() -> httpx.Response:
        templates = await _templates(platform, caseworker, referral_id)
        ok = {"draft-plan-issued", "final-plan-issued"} <= set(templates)
        return httpx.Response(200 if ok else 404, json=templates)

    templates = await _eventually(told_of_both, "the family told")
    assert templates.count("draft-plan-issued") == 1
    assert templates.count("final-plan-issued") == 1


async def test_a_support_plan_shared_in_plans_reaches_the_family_as_a_message(
    referrals_api: httpx.AsyncClient,
    plans_api: httpx.AsyncClient,
    platform: Platform,
    caseworker: dict[str, str],
) -> None:
    created = await referrals_api.post("/v1/referrals", json=referral_body())
    assert created.status_code == 201, created.text
    referral_id = created.json()["id"]
    plan = await _eventually(
        lambda: plans_api.post(f"/v1/referrals/{referral_id}/plan/share", json={}),
        "the plan shared",
    )
    assert plan["status"] == "shared"
    referral = await wait_for_timeline(referrals_api, referral_id, ("plan_shared",))
    assert "plan_shared" in [t["step"] for t in referral["timeline"]]

    async def told() -> httpx.Response:
        templates = await _templates(platform, caseworker, referral_id)
        return httpx.Response(200 if "plan-shared" in templates else 404, json=templates)

    await _eventually(told, "the family told of the shared plan")
    async with httpx.AsyncClient(timeout=10, headers=caseworker) as client:
        url = f"{platform.url('notifications')}/v1/referrals/{referral_id}/notifications"
        alerts = {a["template"]: a for a in (await client.get(url)).json()}
    notify = platform.local_notify  # type: ignore[attr-defined]  # set by the fixture

    async def sent() -> httpx.Response:
        # The delivery log lists a message once queued: wait for it to reach Notify too.
        found = [m for m in notify.inbox() if m["reference"] == alerts["plan-shared"]["id"]]
        return httpx.Response(200 if found else 404, json=found)

    [message] = await _eventually(sent, "the message at GOV.UK Notify")
    assert "support plan" in str(message).lower()
