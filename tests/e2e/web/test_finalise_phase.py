"""The final plan's form in the workspace asks when the child's current phase of education ends
(#21: the plan's outcomes run to it when it comes before the next review): an optional date,
explained in its hint; a date that is not a date is named in the error summary and linked to
its day box, nothing sent; a real one is sent to plans with the step (which answers for the
plan as it stands). Without JavaScript, checked by axe."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, expect

from tests.e2e.web.conftest import new_context, sign_in
from tests.e2e.web.test_plan_pages import _axe, _drafted, _referral, plans_api  # noqa: F401


async def test_the_final_plans_form_asks_when_the_phase_ends_and_names_a_bad_date(
    browser: Browser,
    web_url: str,
    referrals_api: httpx.AsyncClient,
    plans_api: httpx.AsyncClient,  # noqa: F811  # the fixture imported above
    browser_tools: dict[str, str],
) -> None:
    axe = browser_tools["AXE_JS"]
    referral_id = await _referral(referrals_api, track="ehc")
    drafted = await _drafted(plans_api, referral_id)
    context = await new_context(browser)
    page = await context.new_page()
    form = f"/referrals/{referral_id}/plan/steps/finalise"
    await sign_in(page, web_url, "leeds-caseworker", then=form)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Issue the final plan")
    phase = page.get_by_role("group", name="When the child's current phase of education ends")
    await expect(phase).to_contain_text("Only if it ends before the next review")
    assert await _axe(page, axe) == []

    await page.fill("#phase_ends_on-day", "31")
    await page.fill("#phase_ends_on-month", "2")
    await page.fill("#phase_ends_on-year", "2027")
    await page.get_by_role("button", name="Issue the final plan").click()
    summary = page.locator(".govuk-error-summary")
    link = summary.get_by_role("link")
    await expect(link).to_contain_text("When the child's current phase of education ends")
    assert await link.get_attribute("href") == "#phase_ends_on-day"
    assert (await page.title()).startswith("Error: ")
    assert await _axe(page, axe) == []
    unchanged = (await plans_api.get(f"/v1/referrals/{referral_id}/plan")).json()
    assert unchanged["version"] == drafted["version"]

    await page.fill("#phase_ends_on-day", "21")
    await page.fill("#phase_ends_on-month", "7")
    await page.get_by_role("button", name="Issue the final plan").click()
    # Sent to plans: a support plan is not issued for comment, so the step is refused in words.
    await expect(summary).to_contain_text("There is a problem")
    await expect(summary).not_to_contain_text("real date")
    assert await _axe(page, axe) == []
    await context.close()
