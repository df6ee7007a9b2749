"""Triage in the workspace (#23): a caseworker opens an NHS partner's referral that came
without a SEN2 need, reads the referrer's reasons, and sets the need through the form (with or
without JavaScript); a missing answer is named in the error summary; the pages pass axe."""

from __future__ import annotations

from uuid import uuid4

import httpx
import pytest
from playwright.async_api import Browser, expect
from referrals.partner_example import partner_record, snomed_reason

from shared.settings import KafkaSettings
from tests.e2e.conftest import JOURNEY, wait_for_timeline
from tests.e2e.test_nhs_partners import _answers, _publish
from tests.e2e.test_nhs_triage import _bundle
from tests.e2e.web.conftest import axe_violations, new_context, screenshot, sign_in

LINK = "Set the child's special educational needs (needs triage)"
HEADING = "Set the child's special educational needs"


@pytest.mark.parametrize("javascript", [True, False])
async def test_a_caseworker_reads_the_referrers_reasons_and_sets_the_need(
    javascript: bool,
    browser: Browser,
    web_url: str,
    kafka: KafkaSettings,
    referrals_api: httpx.AsyncClient,
    browser_tools: dict[str, str],
) -> None:
    request_id = f"SR-{uuid4().hex}"
    reason = snomed_reason("35919005", "Pervasive developmental disorder")  # the example
    bundle = _bundle(need=None, requester="ods", reasons=[reason])
    await _publish(kafka, (request_id, partner_record(bundle)))
    (answer,) = await _answers(kafka, request_id)
    referral_id = answer["resource"]["identifier"][0]["value"]
    await wait_for_timeline(referrals_api, referral_id, ("referral_received",))

    context = await new_context(browser, javascript=javascript)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then="/caseload?status=needs_triage")
    waiting = page.locator("table.govuk-table tbody tr").filter(has_text=referral_id[:8].upper())
    await expect(waiting).to_contain_text("Needs triage")  # in the caseload, filtered to them
    await page.goto(f"{web_url}/referrals/{referral_id}")
    await expect(page.locator("main")).to_contain_text("Needs triage: not set yet")
    await page.get_by_role("link", name=LINK).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(HEADING)
    reasons = page.locator("main .govuk-summary-list")
    await expect(reasons).to_contain_text("RR8")
    await expect(reasons).to_contain_text("Pervasive developmental disorder (SNOMED CT 35919005)")
    if javascript:
        assert await axe_violations(page, browser_tools["AXE_JS"]) == []
        await screenshot(page, "triage")

    await page.get_by_role("button", name="Set the needs").click()  # nothing chosen
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("Select the child's main need")
    await expect(reasons).to_contain_text("RR8")  # the reasons stay beside the questions
    if javascript:
        assert await axe_violations(page, browser_tools["AXE_JS"]) == []

    await page.get_by_label("Autistic spectrum disorder").first.check()
    await page.get_by_role("button", name="Set the needs").click()
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "The child's needs were recorded"
    )
    await expect(page.get_by_role("link", name=LINK)).to_have_count(0)
    referral = await wait_for_timeline(referrals_api, referral_id, JOURNEY)
    assert referral["primary_need"] == "ASD"
    await context.close()
