"""Ceasing a plan in the workspace (s45, Regs 29-31): a plan brought in, then each step recorded
by a caseworker through its form (the proposal, the views, the decision), every page passing
axe; no views recorded before the day they were asked for is named in the error summary and
nothing is recorded; a decision to cease shows the date to appeal by, the plan kept until then,
and the family's letter among the referral's documents."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import httpx
from playwright.async_api import Browser, Page, expect

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider, Platform
from shared.dates import add_months, london_today
from tests.e2e.web.conftest import axe_violations, new_context, sign_in
from tests.e2e.web.test_annual_review_journey import _fill_date, _record, _step


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


async def _plan_in_force(platform: Platform, identity: IdentityProvider) -> str:
    """A Leeds plan in force for a young person of 19, as a manager brings it in."""
    token = await fetch_token(identity.issuer, "leeds-manager")
    marker, today = f"{random.randrange(10**8):08d}", london_today()
    plan: dict[str, Any] = {
        "case_id": f"E2E-CEASE-{marker}",
        "local_authority": "E08000035",
        "child": {
            "given_name": random.choice(["Amara", "Zofia", "Bilal", "Niamh"]),
            "family_name": f"Cease{marker}",
            "date_of_birth": str(add_months(today, -19 * 12) - timedelta(days=40)),
            "postcode": "LS6 2AB",
        },
        "family_contact": {"name": "Ngozi Okafor", "email": "ngozi@example.org"},
        "needs": ["SLCN"],
        "issued_on": str(today - timedelta(days=700)),
        "last_reviewed_on": str(today - timedelta(days=100)),
        "setting_urn": "107958",
    }
    async with httpx.AsyncClient(
        base_url=platform.url("referrals"),
        timeout=10,
        headers={"Authorization": f"Bearer {token}"},
    ) as api:
        answer = await api.post("/v1/live-plans/import", json={"plans": [plan]})
        assert answer.status_code == 200, answer.text
        referral_id: str = answer.json()["plans"][0]["referral_id"]
    return referral_id


async def _section(page: Page) -> Any:
    return page.locator("#ceasing + dl")


async def test_a_caseworker_proposes_consults_and_decides_to_cease_a_plan(
    browser: Browser,
    web_url: str,
    platform: Platform,
    identity: IdentityProvider,
    browser_tools: dict[str, str],
    today: date,
) -> None:
    axe_js = browser_tools["AXE_JS"]
    referral_id = await _plan_in_force(platform, identity)
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=f"/referrals/{referral_id}")
    await expect(page.locator("#ceasing")).to_have_count(0)
    await expect(
        page.get_by_role("link", name="Record the decision whether to cease the plan")
    ).to_have_count(0)  # no decision before a proposal and its consultation

    await _step(page, "Propose to cease the plan", axe_js)
    await page.get_by_label(
        "The plan is no longer necessary: the special educational provision is no longer "
        "needed (section 45(1)(b))"
    ).check()
    await _fill_date(page, "proposed_on", today - timedelta(days=1))
    views_by = today + timedelta(days=14)
    await _fill_date(page, "views_by", views_by)
    await _record(page, "The proposal was recorded")
    section = await _section(page)
    await expect(section).to_contain_text(
        "Proposed: waiting for the family's and the school's views"
    )
    await expect(section).to_contain_text(_day(views_by))
    assert await axe_violations(page, axe_js) == []

    # No family views before the day they were asked to reply by: named, nothing recorded.
    await _step(page, "Record the views about ceasing the plan", axe_js)
    await _fill_date(page, "consulted_on", today)
    await page.get_by_label("The school's views").fill("The college agrees the needs are met.")
    await page.get_by_role("button", name="Record it").click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("family")
    assert (await page.title()).startswith("Error: ")
    assert await axe_violations(page, axe_js) == []
    await page.get_by_label("The family's views").fill("We would like the plan kept.")
    await _record(page, "The views were recorded")
    await expect(section).to_contain_text("Views recorded: to decide")

    await _step(page, "Record the decision whether to cease the plan", axe_js)
    await page.get_by_label("Cease the plan", exact=True).check()
    await _fill_date(page, "decided_on", today)
    await page.get_by_label("The reasons").fill(
        "The support the college gives now meets the needs the plan describes."
    )
    await _record(page, "The decision was recorded")
    await expect(section).to_contain_text("the plan is kept until the time to appeal has passed")
    await expect(section).to_contain_text(_day(add_months(today, 2)))
    await expect(
        page.get_by_role("link", name="Record an appeal against ceasing the plan")
    ).to_be_visible()
    await expect(page.get_by_role("link", name="Propose to cease the plan")).to_have_count(0)
    assert await axe_violations(page, axe_js) == []
    await context.close()
