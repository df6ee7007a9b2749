"""A plan brought in from a council's earlier system amended after its annual review (#22, Reg
22), across the running platform on Kafka: the caseworker records the decision to amend and the
proposals in referrals, and plans holds the proposed amended plan (editable, the family sees it
and their day); the amended plan issued in referrals becomes the plan in force in plans, next
reviewed 12 months from the meeting; the family is told of each step once, by notifications."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider, Platform
from shared.dates import add_months
from tests.e2e.test_imported_plans import _child, _ok
from tests.e2e.test_plan_lifecycle import _eventually, _family_token, _templates

LEEDS = "E08000035"


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


@pytest.fixture
async def plans(platform: Platform, caseworker: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=platform.url("plans"), timeout=10, headers=caseworker
    ) as client:
        yield client


async def test_a_plan_brought_in_is_amended_in_plans_after_its_review(
    manager: httpx.AsyncClient,
    referrals_api: httpx.AsyncClient,
    plans: httpx.AsyncClient,
    platform: Platform,
    caseworker: dict[str, str],
    today: date,
) -> None:
    # A child in Year 3, not moving phase (a phase transfer's amended plan names the next
    # school: its own test); the review's meeting held 40 days ago.
    marker, held = uuid4().hex[:8], today - timedelta(days=40)
    live = {
        "case_id": f"LCC-A-{marker}", "local_authority": LEEDS,
        "child": _child(marker) | {"date_of_birth": "2018-03-04"},
        "family_contact": {"name": "Ann Parent", "email": "ann@example.org"},
        "needs": ["ASD", "SLCN"], "issued_on": str(today - timedelta(days=400)),
        "last_reviewed_on": str(today - timedelta(days=360)), "setting_urn": "107958",
        "open_steps": [{"step": "annual_review_meeting", "on": str(held)}],
    }  # fmt: skip
    answer = await _ok(await manager.post("/v1/live-plans/import", json={"plans": [live]}))
    referral_id = answer["plans"][0]["referral_id"]
    path = f"/v1/referrals/{referral_id}"
    await _eventually(lambda: plans.get(f"{path}/plan"), "the live plan held in plans")

    review = f"{path}/annual-review"
    decided = {"decision": "amend", "decided_on": str(held + timedelta(days=20))}
    await _ok(await referrals_api.post(f"{review}/decision", json=decided))
    sent = today - timedelta(days=16)
    await _ok(
        await referrals_api.post(f"{review}/amendments/proposals", json={"sent_on": str(sent)})
    )

    async def in_status(status: str) -> httpx.Response:
        answer = await plans.get(f"{path}/plan")
        ok = answer.is_success and answer.json()["status"] == status
        return answer if ok else httpx.Response(404, json={})

    proposed = await _eventually(lambda: in_status("amendments_proposed"), "the proposals")
    assert proposed["comments_until"] == str(sent + timedelta(days=15))
    edited = await _ok(
        await plans.put(
            f"{path}/plan/sections/A",
            json={"content": "Wants to join the school choir.", "reason": "the review"},
        )
    )
    assert edited["status"] == "amendments_proposed"
    token = _family_token(platform, referral_id)
    shown = (await _ok(await plans.get(f"/v1/family/{token}/plan")))["plan"]
    assert (shown["status"], shown["comments_open"]) == ("amendments_proposed", True)

    await _ok(
        await referrals_api.post(f"{review}/amendments/final", json={"issued_on": str(today)})
    )
    final = await _eventually(lambda: in_status("final"), "the amended plan in force")
    assert final["review_due_on"] == str(add_months(held, 12))
    assert final["sections"]["A"] == "Wants to join the school choir."
    assert final["version"] == edited["version"] + 1
    shown = (await _ok(await plans.get(f"/v1/family/{token}/plan")))["plan"]
    assert shown["status_words"] == "Final plan"

    async def told_of_both() -> httpx.Response:
        templates = await _templates(platform, caseworker, referral_id)
        ok = {"amendments-proposed", "amended-plan-issued"} <= set(templates)
        return httpx.Response(200 if ok else 404, json=templates)

    templates: list[Any] = await _eventually(told_of_both, "the family told of both steps")
    assert templates.count("amendments-proposed") == 1
    assert templates.count("amended-plan-issued") == 1
