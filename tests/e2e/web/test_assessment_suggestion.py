"""A health professional's ask for an EHC needs assessment (s36(1), s24), a caseworker's step
in the workspace: the referral's page says no clock runs yet and offers the decision; the form
names its problem when nothing is chosen; treated as a request, the statutory clock starts on
the day the council received the referral. Each page checked by axe-core."""

from __future__ import annotations

from uuid import uuid4

import httpx
from playwright.async_api import Browser, expect

from tests.e2e.web.conftest import axe_violations, new_context, sign_in
from tests.e2e.web.test_caseworker_journey import _a_child, _day, _record, _step


async def test_a_caseworker_treats_a_professionals_referral_as_a_request(
    browser: Browser, web_url: str, referrals_api: httpx.AsyncClient, browser_tools: dict[str, str]
) -> None:
    received = _day(3)
    created = await referrals_api.post(
        "/v1/referrals",
        headers={"Idempotency-Key": str(uuid4())},
        json={
            "local_authority": "E08000035",
            "track": "ehc",
            "requested_by": "health",
            "primary_need": "SLCN",
            "received_on": received.isoformat(),
            "child": _a_child(),
            "family_contact": {"name": "Ngozi Okafor", "email": "ngozi@example.org"},
        },
    )
    assert created.status_code == 201, created.text
    referral = created.json()
    assert referral["track"] == "support"  # no request yet: no clock

    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=f"/referrals/{referral['id']}")
    await expect(page.locator("#assessment-suggested")).to_contain_text("no statutory clock")
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []

    await _step(page, "Decide whether to treat it as an EHC needs assessment request")
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []
    await page.get_by_role("button", name="Record it").click()
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Select your decision")
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []

    await page.get_by_label("Treat it as a request", exact=False).check()
    await _record(page, "The decision was recorded")
    await expect(page.locator("#assessment-suggested")).to_have_count(0)
    stored = (await referrals_api.get(f"/v1/referrals/{referral['id']}")).json()
    assert stored["track"] == "ehc"
    assert (stored["ehc"]["requested_on"], stored["ehc"]["requested_by"]) == (
        received.isoformat(),
        "health",
    )
    await context.close()
