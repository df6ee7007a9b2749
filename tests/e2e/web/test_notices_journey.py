"""Journey: a caseworker refuses an EHC needs assessment through the form with the reasons for
the family's letter, then records mediation through its form (checked by axe-core) and sees the
appeal date move to a month from the certificate; the family, through their own link, is told
"your letter explains why" beside a link to that letter, opens it (a PDF) and sees the appeal
date (#21)."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import httpx
from playwright.async_api import Browser, expect

from shared.dates import add_months
from tests.e2e.web.conftest import axe_violations, new_context, screenshot, sign_in
from tests.e2e.web.test_caseworker_journey import _ehc_request, _fill_date, _record, _step
from tests.integration.plans_family import link


async def test_a_refusal_letter_and_mediation_move_the_appeal_date_the_family_sees(
    browser: Browser,
    web_url: str,
    referrals_api: httpx.AsyncClient,
    browser_tools: dict[str, str],
    today: date,
) -> None:
    referral = await _ehc_request(referrals_api, received_days_ago=60)
    decided_on = today - timedelta(days=40)
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=f"/referrals/{referral['id']}")

    await _step(page, "Record the decision whether to assess")
    await page.get_by_label("Refuse to assess").check()
    await _fill_date(page, "decided_on", decided_on)
    await page.get_by_label("No evidence of special educational needs").check()
    await page.get_by_label("Your explanation for the family's letter").fill(
        "The school's support plan is meeting the needs we were told about."
    )
    await _record(page, "decision whether to assess was recorded")
    await expect(page.locator("#appeal-by")).to_contain_text(
        f"{add_months(decided_on, 2):%-d %B %Y}"
    )

    await _step(page, "Record mediation")
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []
    await _fill_date(page, "mediation_asked_on", decided_on + timedelta(days=5))
    await _fill_date(page, "mediation_certificate_on", today)
    await _record(page, "Mediation was recorded")
    await expect(page.locator("#appeal-by")).to_contain_text(f"{add_months(today, 1):%-d %B %Y}")
    await screenshot(page, "referral-mediation-recorded")

    family = await new_context(browser)  # the parent's own browser: no staff session
    parent = await family.new_page()
    await parent.goto(f"{web_url}/family/{link(UUID(referral['id']))}")
    await expect(parent.locator(".govuk-inset-text")).to_have_text(
        "Your letter explains why, and your right to mediation and appeal."
    )
    letter = parent.get_by_role(
        "link", name="Our decision not to carry out an EHC needs assessment (PDF)"
    )
    await expect(letter).to_be_visible()
    await expect(parent.locator("#appeal-by")).to_contain_text(f"{add_months(today, 1):%-d %B %Y}")
    assert await axe_violations(parent, browser_tools["AXE_JS"]) == []
    await screenshot(parent, "family-letter")
    href = await letter.get_attribute("href")
    opened = await parent.request.get(f"{web_url}{href}")
    assert opened.status == 200
    assert (await opened.body()).startswith(b"%PDF-")
    await family.close()
    await context.close()
