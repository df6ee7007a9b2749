"""A council's open request and live plan brought in from its earlier system (#22), across the
running platform on Kafka: plans holds the request's plan, so once the council records the
rest of the advice and decides to issue here, the EHC plan is drafted from the advice, made
ready, issued as a draft and finalised as for a request made here (the family told of the
draft and the final plan; not of the steps taken in the earlier system); a live plan is held
final in plans, its review due when referrals set it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from plans.document import PlanDocument

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider, Platform
from shared.dates import add_months
from tests.e2e.conftest import wait_for_timeline
from tests.e2e.test_plan_lifecycle import _eventually, _family_token, _templates
from tests.plan_documents import made_ready

LEEDS = "E08000035"
ADVICE = ["parent", "educational", "educational_psychology", "medical", "social_care"]


@pytest.fixture
async def plans(platform: Platform, caseworker: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=platform.url("plans"), timeout=10, headers=caseworker
    ) as client:
        yield client


@pytest.fixture
async def manager(
    platform: Platform, identity: IdentityProvider
) -> AsyncIterator[httpx.AsyncClient]:
    token = await fetch_token(identity.issuer, "leeds-manager")
    async with httpx.AsyncClient(
        base_url=platform.url("referrals"), headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ) as client:  # fmt: skip
        yield client


def _child(marker: str) -> dict[str, Any]:
    return {
        "given_name": f"Given{marker}", "family_name": f"Family{marker}",
        "date_of_birth": "2016-03-04", "postcode": "LS6 2AB",
    }  # fmt: skip


def _assessing(received: date) -> dict[str, Any]:
    """An assessment under way: decided in week 5, the advice the law requires asked for that
    day, none of it back yet."""
    marker, week5 = uuid4().hex[:8], str(received + timedelta(weeks=5))
    return {
        "case_id": f"LCC-R-{marker}", "local_authority": LEEDS, "child": _child(marker),
        "family_contact": {"name": "Ann Parent", "email": "ann@example.org"},
        "requested_by": "parent", "received_on": str(received), "needs": ["SLCN", "SEMH"],
        "assessment_decision": "assess", "assessment_decided_on": week5,
        "advice_kinds": ADVICE, "advice_requested_on": week5,
    }  # fmt: skip


async def _ok(response: httpx.Response) -> Any:
    assert response.is_success, response.text
    return response.json()


async def test_an_imported_request_has_its_ehc_plan_drafted_issued_and_finalised_here(
    manager: httpx.AsyncClient,
    referrals_api: httpx.AsyncClient,
    plans: httpx.AsyncClient,
    platform: Platform,
    caseworker: dict[str, str],
    today: date,
) -> None:
    received = today - timedelta(weeks=14)
    answer = await _ok(
        await manager.post(
            "/v1/live-plans/open-requests/import", json={"requests": [_assessing(received)]}
        )
    )
    referral_id = answer["requests"][0]["referral_id"]
    path = f"/v1/referrals/{referral_id}"

    # Plans holds the request's plan (the support plan, on the EHC track) from the import.
    held = await _eventually(lambda: plans.get(f"{path}/plan"), "the imported request's plan")
    assert (held["track"], held["sections"]["track"]) == ("ehc", "support")
    assert [n["code"] for n in held["sections"]["B"]] == ["SLCN", "SEMH"]

    # The next steps, taken here through referrals' routes.
    week9 = str(received + timedelta(weeks=9))
    for step, body in (
        ("advice-requests/educational_psychology/received", {"received_on": week9}),
        ("plan-decision", {"decision": "issue", "decided_on": str(today)}),
    ):
        answer = await referrals_api.post(f"{path}/{step}", json=body)
        assert answer.status_code == 200, (step, answer.text)

    async def ehc_plan_drafted() -> httpx.Response:
        answer = await plans.get(f"{path}/plan")
        ehc = answer.is_success and answer.json()["sections"]["track"] == "ehc"
        return answer if ehc else httpx.Response(404, json={})

    drafted = await _eventually(ehc_plan_drafted, "the EHC plan drafted from the advice")
    assert [a["kind"] for a in drafted["sections"]["K"]] == ["educational_psychology"]
    ready = made_ready(PlanDocument.model_validate(drafted["sections"]), today)
    for key in ("C", "D", "E", "F", "G", "H1", "H2", "I", "J"):
        content = ready.model_dump(mode="json")[key]
        edited = await plans.put(
            f"{path}/plan/sections/{key}", json={"content": content, "reason": "from the advice"}
        )
        assert edited.status_code == 200, (key, edited.text)
    sections = edited.json()["sections"]
    for line in [*sections["E"], *sections["F"], *sections["G"]]:
        if line["suggested"]:
            await _ok(await plans.post(f"{path}/plan/lines/{line['id']}/confirm", json={}))
    for line in sections["G"]:
        await _ok(
            await plans.post(
                f"{path}/plan/lines/{line['id']}/health-agreement",
                json={"agreed_by": "NHS West Yorkshire ICB", "agreed_on": str(today)},
            )
        )
    issued = await _ok(await plans.post(f"{path}/plan/issue", json={}))
    assert issued["status"] == "issued_for_comment"
    referral = await wait_for_timeline(referrals_api, referral_id, ("draft_plan_issued",))
    assert referral["ehc"]["stage"] == "draft_plan_issued"

    token = _family_token(platform, referral_id)
    await _ok(
        await plans.post(
            f"/v1/family/{token}/plan/comments",
            json={"comments": "Nothing more", "agree": True, "preferred_school": "Oak Lane"},
        )
    )
    final = await _ok(await plans.post(f"{path}/plan/finalise", json={}))
    assert final["status"] == "final"
    referral = await wait_for_timeline(referrals_api, referral_id, ("final_plan_issued",))
    assert referral["ehc"]["stage"] == "final_plan_issued"

    async def told_of_both() -> httpx.Response:
        templates = await _templates(platform, caseworker, referral_id)
        ok = {"draft-plan-issued", "final-plan-issued"} <= set(templates)
        return httpx.Response(200 if ok else 404, json=templates)

    templates = await _eventually(told_of_both, "the family told of the draft and the final")
    assert templates.count("draft-plan-issued") == 1
    assert templates.count("final-plan-issued") == 1
    assert "ehc-assessment-requested" not in templates  # taken in the earlier system
    assert "assessment-agreed" not in templates


async def test_an_imported_live_plan_is_held_final_in_plans(
    manager: httpx.AsyncClient, plans: httpx.AsyncClient, today: date
) -> None:
    marker, reviewed = uuid4().hex[:8], today - timedelta(days=30)
    live = {
        "case_id": f"LCC-{marker}", "local_authority": LEEDS, "child": _child(marker),
        "family_contact": {"name": "Ann Parent", "email": "ann@example.org"},
        "needs": ["ASD", "SLCN"], "issued_on": str(today - timedelta(days=400)),
        "last_reviewed_on": str(reviewed), "setting_urn": "107958",
    }  # fmt: skip
    answer = await _ok(await manager.post("/v1/live-plans/import", json={"plans": [live]}))
    referral_id = answer["plans"][0]["referral_id"]
    held = await _eventually(
        lambda: plans.get(f"/v1/referrals/{referral_id}/plan"), "the live plan held in plans"
    )
    assert (held["track"], held["status"]) == ("ehc", "final")
    assert held["review_due_on"] == str(add_months(reviewed, 12))
    assert [n["code"] for n in held["sections"]["B"]] == ["ASD", "SLCN"]
