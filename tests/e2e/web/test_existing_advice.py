"""Existing advice used instead of asking for it again (SEND Regulations 2014, reg 6(4)), a
caseworker's step in the workspace: the form (the page sends no script), its error summary when
nothing is chosen, then recorded with what it is, its date and who agreed; the referral's
page lists it and the decision whether to issue a plan, refused without medical advice
before, is then recorded. Each page checked by axe-core."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, expect

from tests.e2e.web.conftest import axe_violations, new_context, sign_in
from tests.e2e.web.test_caseworker_journey import _day, _ehc_request, _fill_date, _record, _step


async def test_a_caseworker_records_existing_advice_and_the_plan_decision_follows(
    browser: Browser, web_url: str, referrals_api: httpx.AsyncClient, browser_tools: dict[str, str]
) -> None:
    referral = await _ehc_request(referrals_api, received_days_ago=40)
    path = f"/v1/referrals/{referral['id']}"
    assess = {"decision": "assess", "decided_on": _day(38).isoformat()}
    assert (await referrals_api.post(f"{path}/assessment-decision", json=assess)).status_code == 200
    asked = {
        "kinds": ["parent", "educational", "educational_psychology", "social_care"],
        "requested_on": _day(37).isoformat(),
    }
    assert (await referrals_api.post(f"{path}/advice-requests", json=asked)).status_code == 200
    issue = {"decision": "issue", "decided_on": _day(29).isoformat()}
    refused = await referrals_api.post(f"{path}/plan-decision", json=issue)
    assert refused.status_code == 409  # no medical advice sought yet
    assert "medical" in refused.json()["detail"]

    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=f"/referrals/{referral['id']}")
    await _step(page, "Use existing advice")
    await expect(page.get_by_label("Parent or young person")).to_have_count(0)  # never (a)
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []

    await page.get_by_role("button", name="Record it").click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("Select whose advice it is")
    await expect(summary).to_contain_text("Select the person who gave it")
    assert (await page.title()).startswith("Error: ")
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []

    await page.get_by_label("Medical (health)").check()
    await page.get_by_label("What the advice is").fill("Paediatrician's report, annual check")
    await _fill_date(page, "advice_dated", _day(120))
    await page.get_by_label("Who gave it").fill("Dr A Example, community paediatrics")
    await page.get_by_label("They agree to its use for this assessment").check()
    await page.get_by_label("The parent", exact=True).check()
    await _fill_date(page, "agreed_on", _day(35))
    await _record(page, "existing advice was recorded")

    used = page.locator("#existing-advice + .govuk-summary-list")
    await expect(used).to_contain_text("Medical (health)")
    await expect(used).to_contain_text("Paediatrician's report, annual check")
    await expect(used).to_contain_text("Dr A Example, community paediatrics")
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []

    await _step(page, "Record the decision whether to issue a plan")
    await page.get_by_label("Issue an EHC plan").check()
    await _fill_date(page, "decided_on", _day(29))
    await _record(page, "decision whether to issue a plan was recorded")
    stored = (await referrals_api.get(path)).json()
    assert stored["ehc"]["stage"] == "plan_to_be_issued"
    [existing] = stored["ehc"]["existing_advice"]
    assert (existing["kind"], existing["advice_dated"]) == ("medical", _day(120).isoformat())
    await context.close()
