"""An adviser's 6 weeks excused (SEND Regulations 2014, reg 8(2)), a caseworker's step in the
workspace: from the advice table, the form names its problem when nothing is chosen, then the
excuse is recorded; the time limit shows "Excused" and keeps its date (no new date). Each page
checked by axe-core."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, expect

from tests.e2e.web.conftest import axe_violations, new_context, sign_in
from tests.e2e.web.test_caseworker_journey import _day, _ehc_request, _record


async def test_a_caseworker_excuses_an_advisers_6_weeks_for_a_missed_appointment(
    browser: Browser, web_url: str, referrals_api: httpx.AsyncClient, browser_tools: dict[str, str]
) -> None:
    referral = await _ehc_request(referrals_api, received_days_ago=60)
    path = f"/v1/referrals/{referral['id']}"
    assess = {"decision": "assess", "decided_on": _day(58).isoformat()}
    assert (await referrals_api.post(f"{path}/assessment-decision", json=assess)).status_code == 200
    asked = {"kinds": ["medical"], "requested_on": _day(57).isoformat()}
    assert (await referrals_api.post(f"{path}/advice-requests", json=asked)).status_code == 200

    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=f"/referrals/{referral['id']}")
    await page.get_by_role("link", name="Excuse the 6 weeks (Medical (health))").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Medical (health)")
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []
    await page.get_by_role("button", name="Record it").click()
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Select why")
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []

    await page.get_by_label("The child missed an appointment the adviser made").check()
    await page.get_by_label("What happened, for the file").fill("Clinic appointment missed")
    await _record(page, "6 weeks were recorded as not applying")
    clock = page.locator("#clock + .app-table-wrapper table")
    row = clock.get_by_role("row").filter(has_text="Advice: Medical (health)")
    await expect(row).to_contain_text("Excused")
    await expect(row).to_contain_text("Adviser's legal time limit")
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []
    stored = (await referrals_api.get(path)).json()["ehc"]
    [deadline] = [d for d in stored["deadlines"] if d["kind"] == "advice:medical"]
    assert (deadline["state"], deadline["due_on"]) == ("excused", (_day(57 - 42)).isoformat())
    await context.close()
