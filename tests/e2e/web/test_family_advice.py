"""Advice the family asked for (SEND Regulations 2014, reg 6(1)(h)), a caseworker's step in the
workspace: the form (the page sends no script), its error summary when nothing is answered and
when a refusal has no reason, then recorded; the referral's page lists it; the decision whether
to issue a plan is refused until that advice is asked for, then recorded. Each page checked by
axe-core."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, expect

from tests.e2e.web.conftest import axe_violations, new_context, sign_in
from tests.e2e.web.test_caseworker_journey import _day, _ehc_request, _fill_date, _record, _step


async def test_a_caseworker_records_the_familys_ask_and_the_advice_is_sought_before_deciding(
    browser: Browser, web_url: str, referrals_api: httpx.AsyncClient, browser_tools: dict[str, str]
) -> None:
    referral = await _ehc_request(referrals_api, received_days_ago=40)
    path = f"/v1/referrals/{referral['id']}"
    assess = {"decision": "assess", "decided_on": _day(38).isoformat()}
    assert (await referrals_api.post(f"{path}/assessment-decision", json=assess)).status_code == 200
    asked = {
        "kinds": ["parent", "educational", "educational_psychology", "medical", "social_care"],
        "requested_on": _day(37).isoformat(),
    }
    assert (await referrals_api.post(f"{path}/advice-requests", json=asked)).status_code == 200

    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=f"/referrals/{referral['id']}")
    await _step(page, "Record advice the family asked for")
    await expect(page.get_by_text("regulation 6(1)(h)")).to_be_visible()
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []

    await page.get_by_role("button", name="Record it").click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_be_visible()
    await expect(summary.get_by_role("link")).not_to_have_count(0)
    assert (await page.title()).startswith("Error: ")
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []

    await _fill_date(page, "asked_on", _day(36))
    await page.get_by_label("What advice they asked for").fill(
        "A report from the occupational therapist who saw the child"
    )
    await page.get_by_label("Who they asked us to seek it from").fill(
        "Community occupational therapy"
    )
    await page.get_by_label("We will not seek it: the request is not reasonable").check()
    await page.get_by_role("button", name="Record it").click()
    await expect(summary).to_contain_text("not reasonable")  # the refusal's reason is asked
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []

    await page.get_by_label("We will seek it (a reasonable request)").check()
    await _record(page, "request for advice was recorded")
    listed = page.locator("#family-advice-asks + .govuk-summary-list")
    await expect(listed).to_contain_text("Community occupational therapy")
    await expect(listed).to_contain_text("We will seek it")
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []

    await _step(page, "Record the decision whether to issue a plan")
    await page.get_by_label("Issue an EHC plan").check()
    await _fill_date(page, "decided_on", _day(29))
    await page.get_by_role("button", name="Record it").click()
    refused = page.locator(".govuk-error-summary")
    await expect(refused).to_contain_text("advice the family asked for")
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []

    await page.goto(f"{web_url}/referrals/{referral['id']}")
    await _step(page, "Ask for advice")
    await page.get_by_label("Advice the family asked for").check()
    await _fill_date(page, "requested_on", _day(35))
    await _record(page, "advice requests were recorded")
    await _step(page, "Record the decision whether to issue a plan")
    await page.get_by_label("Issue an EHC plan").check()
    await _fill_date(page, "decided_on", _day(29))
    await _record(page, "decision whether to issue a plan was recorded")
    stored = (await referrals_api.get(path)).json()
    assert stored["ehc"]["stage"] == "plan_to_be_issued"
    [ask] = stored["ehc"]["family_advice_asks"]
    assert (ask["decision"], ask["asked_on"]) == ("seek", _day(36).isoformat())
    await context.close()
