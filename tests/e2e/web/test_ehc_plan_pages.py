"""The EHC plan built from the assessment, in the workspace (issue 21): once the council
decides to issue a plan, the plan page is the EHC plan, its catalogue lines marked as
suggestions; a caseworker confirms one against the advice received (shown beside it), and
records the health commissioning body's agreement to a line of health provision (a problem
named in the error summary first); the draft's issue is refused, in words, while lines wait.
Each page without JavaScript, checked by axe."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.e2e.web.conftest import axe_violations, new_context, sign_in
from tests.e2e.web.test_plan_pages import PLAN_WAIT_S, plans_api  # noqa: F401  # a fixture


async def _deaf_childs_ehc_referral(api: httpx.AsyncClient, today: date) -> str:
    """An EHC request for a deaf child (the catalogue suggests an audiology review in G),
    received three days before ``today``, assessed, advised and decided on ``today``: the
    council will issue a plan."""
    created = await api.post(
        "/v1/referrals",
        headers={"Idempotency-Key": str(uuid4())},
        json={
            "local_authority": "E08000035", "track": "ehc", "requested_by": "parent",
            "primary_need": "HI", "received_on": str(today - timedelta(days=3)),
            "child": {
                "given_name": f"Noor{uuid4().hex[:6]}", "family_name": "Ahmed",
                "date_of_birth": "2018-09-14", "postcode": "LS6 2AB",
            },
            "family_contact": {
                "name": "Amina Ahmed", "email": "amina@example.org", "preferred_channel": "email",
            },
        },
    )  # fmt: skip
    assert created.status_code == 201, created.text
    referral_id = str(created.json()["id"])
    on = str(today)
    for step, body in (
        ("assessment-decision", {"decision": "assess", "decided_on": on}),
        (
            "advice-requests",
            {
                "kinds": [
                    "parent",
                    "educational",
                    "educational_psychology",
                    "medical",
                    "social_care",
                    "teacher_of_the_deaf",
                ],
                "requested_on": on,
            },
        ),
        ("advice-requests/educational_psychology/received", {"received_on": on}),
        ("plan-decision", {"decision": "issue", "decided_on": on}),
    ):
        answer = await api.post(f"/v1/referrals/{referral_id}/{step}", json=body)
        assert answer.status_code == 200, (step, answer.text)
    return referral_id


async def _ehc_plan(plans: httpx.AsyncClient, referral_id: str) -> dict[str, Any]:
    """The plan once plans has drafted the EHC plan from the decision (through Kafka)."""
    deadline = asyncio.get_running_loop().time() + PLAN_WAIT_S
    while True:
        response = await plans.get(f"/v1/referrals/{referral_id}/plan")
        if response.status_code == 200 and response.json()["sections"]["track"] == "ehc":
            plan: dict[str, Any] = response.json()
            return plan
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"referral {referral_id}: no EHC plan after {PLAN_WAIT_S}s")
        await asyncio.sleep(0.05)


async def test_a_caseworker_confirms_a_suggested_line_and_records_the_health_agreement(
    browser: Browser,
    web_url: str,
    referrals_api: httpx.AsyncClient,
    plans_api: httpx.AsyncClient,  # noqa: F811  # the fixture imported above
    browser_tools: dict[str, str],
    today: date,
) -> None:
    axe = browser_tools["AXE_JS"]
    referral_id = await _deaf_childs_ehc_referral(referrals_api, today)
    plan = await _ehc_plan(plans_api, referral_id)
    [audiology] = plan["sections"]["G"]
    g_name = audiology["id"].replace("-", " ")
    context = await new_context(browser)  # the pages send no script; axe needs one
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=f"/referrals/{referral_id}/plan")
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Education, health and care plan"
    )
    await expect(page.locator("#section-E")).to_contain_text("Not yet: suggested by the catalogue")
    await expect(page.locator("#section-G")).to_contain_text("Not recorded")

    # The draft cannot be issued while lines wait: each named.
    await page.get_by_role("link", name="Issue the draft plan for the family's comments").click()
    await page.get_by_role("button", name="Issue the draft plan").click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("suggested by the catalogue, not yet confirmed")
    await expect(summary).to_contain_text("health commissioning body's agreement is not recorded")
    await page.goto(f"{web_url}/referrals/{referral_id}/plan")

    # One line confirmed, read beside the advice received.
    await page.get_by_role("link", name="Confirm outcome 1").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Confirm a suggested line")
    await expect(page.locator("main")).to_contain_text("Educational psychologist")
    assert await axe_violations(page, axe) == []
    await page.get_by_role("button", name="Confirm this line").click()
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Outcome 1 was confirmed"
    )
    stored = (await plans_api.get(f"/v1/referrals/{referral_id}/plan")).json()
    assert stored["sections"]["E"][0]["suggested"] is False
    assert all(p["suggested"] for p in stored["sections"]["F"])  # one line, not the section
    assert stored["version"] == plan["version"] + 1

    # The health commissioning body's agreement: a problem named first, then recorded.
    await page.get_by_role("link", name=f"Record the agreement to {g_name}").click()
    await page.get_by_role("button", name="Record the agreement").click()
    errors = page.locator(".govuk-error-summary")
    await expect(errors).to_contain_text("Enter the health commissioning body that agreed")
    await expect(errors).to_contain_text("Enter the date it agreed")
    assert await axe_violations(page, axe) == []
    await page.fill("#agreed_by", "NHS West Yorkshire Integrated Care Board")
    await page.fill("#agreed_on-day", str(today.day))
    await page.fill("#agreed_on-month", str(today.month))
    await page.fill("#agreed_on-year", str(today.year))
    await page.get_by_role("button", name="Record the agreement").click()
    banner = page.locator(".govuk-notification-banner--success")
    await expect(banner).to_contain_text("was recorded as agreed by the health commissioning body")
    await expect(page.locator("#section-G")).to_contain_text(
        "Agreed by NHS West Yorkshire Integrated Care Board"
    )
    assert await axe_violations(page, axe) == []
    stored = (await plans_api.get(f"/v1/referrals/{referral_id}/plan")).json()
    agreement = stored["sections"]["G"][0]["health_agreement"]
    assert (agreement["agreed_by"], agreement["recorded_by"]) == (
        "NHS West Yorkshire Integrated Care Board", "leeds-caseworker",
    )  # fmt: skip
    await context.close()
