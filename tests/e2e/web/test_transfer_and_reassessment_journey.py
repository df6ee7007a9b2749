"""A plan transferred in and its re-assessments in the workspace: a plan from another council
recorded (through the API, as a council's system would send it), then each step recorded by a
caseworker through its form (the family told of a new assessment, the advice asked for and
received, its outcome, refused until the advice the law requires is asked for, a request for
another re-assessment and a refusal), every page passing axe; a form sent with nothing chosen
names the question in the error summary and records nothing."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import httpx
from playwright.async_api import Browser, Page, expect

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider, Platform
from shared.dates import london_today
from tests.e2e.web.conftest import axe_violations, new_context, sign_in
from tests.e2e.web.test_annual_review_journey import _fill_date, _record, _step


async def _transferred_plan(platform: Platform, identity: IdentityProvider) -> str:
    """A plan Leeds took over from Bradford ten days ago; its referral id."""
    token = await fetch_token(identity.issuer, "leeds-caseworker")
    marker, today = f"{random.randrange(10**8):08d}", london_today()
    body: dict[str, Any] = {
        "plan": {
            "case_id": f"E2E-T{marker}",
            "local_authority": "E08000035",
            "child": {
                "given_name": random.choice(["Amara", "Zofia", "Bilal", "Niamh"]),
                "family_name": f"Moved{marker}",
                "date_of_birth": "2014-06-01",
                "postcode": "LS6 2AB",
            },
            "family_contact": {"name": "Ngozi Okafor", "email": "ngozi@example.org"},
            "needs": ["ASD", "SLCN"],
            "issued_on": str(today - timedelta(days=500)),
            "last_reviewed_on": str(today - timedelta(days=150)),
            "setting_urn": "107958",
        },
        "from_council": "E08000032",
        "transferred_on": str(today - timedelta(days=10)),
    }
    async with httpx.AsyncClient(
        base_url=platform.url("referrals"),
        timeout=10,
        headers={"Authorization": f"Bearer {token}"},
    ) as api:
        answer = await api.post("/v1/live-plans/transfers-in", json=body)
        assert answer.status_code == 200, answer.text
        referral_id: str = answer.json()["referral_id"]
        return referral_id


async def _nothing_chosen(page: Page, axe_js: str, question: str) -> None:
    await page.get_by_role("button", name="Record it").click()
    await expect(page.locator(".govuk-error-summary")).to_contain_text(question)
    assert (await page.title()).startswith("Error: ")
    assert await axe_violations(page, axe_js) == []


async def test_a_caseworker_records_a_transfer_and_its_reassessments(
    browser: Browser,
    web_url: str,
    platform: Platform,
    identity: IdentityProvider,
    browser_tools: dict[str, str],
    today: date,
) -> None:
    axe_js = browser_tools["AXE_JS"]
    referral_id = await _transferred_plan(platform, identity)
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=f"/referrals/{referral_id}")
    transfer = page.locator("#transfer-in + dl")
    decide_by = today - timedelta(days=10) + timedelta(weeks=6)
    await expect(transfer).to_contain_text(f"{decide_by.day} {decide_by:%B %Y}")
    await expect(transfer).to_contain_text("Not yet")
    assert await axe_violations(page, axe_js) == []

    await _step(page, "Record what the family was told after the transfer", axe_js)
    await _fill_date(page, "told_on", today)
    await _nothing_chosen(page, axe_js, "whether the council will carry out a new")
    await page.get_by_label("Yes").check()
    await _record(page, "The family's message was recorded")
    await expect(transfer).to_contain_text("a new assessment")
    limits = page.locator("#reassessment ~ .app-table-wrapper table")
    due = today + timedelta(weeks=14)
    await expect(limits).to_contain_text(f"{due.day} {due:%B %Y}")
    assert await axe_violations(page, axe_js) == []

    # The outcome waits for the advice the law requires (Regs 6, 25): 409, said on the page.
    await _step(page, "Record the re-assessment's outcome", axe_js)
    await page.get_by_label("We decided not to amend the plan").check()
    await _fill_date(page, "concluded_on", today)
    await page.get_by_label("The reasons").fill("The plan already sets out what is needed.")
    await page.get_by_role("button", name="Record it").click()
    await expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Advice the law requires has not been asked for"
    )
    assert await axe_violations(page, axe_js) == []
    await page.goto(f"{web_url}/referrals/{referral_id}")

    await _step(page, "Ask for advice for the re-assessment", axe_js)
    await _fill_date(page, "requested_on", today)
    await _nothing_chosen(page, axe_js, "whose advice you asked for")
    for adviser in (
        "Educational (head teacher or teacher)",
        "Medical (health)",
        "Educational psychologist",
        "Social care",
        "Parent or young person",
    ):
        await page.get_by_label(adviser).check()
    await _record(page, "The advice requests were recorded")
    advice_due = today + timedelta(weeks=6)
    medical = limits.locator("tr", has_text="Advice: Medical (health)")
    await expect(medical).to_contain_text(f"{advice_due.day} {advice_due:%B %Y}")
    await expect(medical).to_contain_text("Adviser's legal time limit")
    assert await axe_violations(page, axe_js) == []

    await _step(page, "Record advice received for the re-assessment", axe_js)
    await _fill_date(page, "received_on", today)
    await _nothing_chosen(page, axe_js, "whose advice it is")
    await page.get_by_label("Medical (health)").check()
    await _record(page, "The advice was recorded as received")
    await expect(medical).to_contain_text(f"on {today.day} {today:%B %Y}")

    await _step(page, "Record the re-assessment's outcome", axe_js)
    await page.get_by_label("We decided not to amend the plan").check()
    await _fill_date(page, "concluded_on", today)
    await page.get_by_role("button", name="Record it").click()  # no reasons: the letter needs them
    await expect(page.locator(".govuk-error-summary")).to_contain_text("give the reasons")
    assert await axe_violations(page, axe_js) == []
    await page.get_by_label("The reasons").fill("The plan already sets out what is needed.")
    await _record(page, "The outcome was recorded")
    await expect(page.locator("#reassessment")).to_have_count(0)  # none under way

    await _step(page, "Record a request for a re-assessment", axe_js)
    await page.get_by_label("A school or college").check()
    await _fill_date(page, "requested_on", today)
    await _record(page, "The request was recorded")
    asked = today + timedelta(days=15)
    await expect(limits).to_contain_text(f"{asked.day} {asked:%B %Y}")

    await _step(page, "Record the decision whether to re-assess", axe_js)
    await page.get_by_label("No").check()
    await _fill_date(page, "decided_on", today)
    await page.get_by_label("The reasons").fill("Nothing has changed since the last review.")
    await _record(page, "The decision was recorded")
    await expect(page.locator("#reassessment")).to_have_count(0)  # refused: none under way
    assert await axe_violations(page, axe_js) == []
    await context.close()
