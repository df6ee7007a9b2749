"""An educational psychologist returns their advice through the link in the message the
council sent when the caseworker asked for advice (no account): the page shows whom and what
it is about and by when; a form sent empty names each field; the advice sent is received on
the clock (on time) and listed in section K of the plan with the adviser's summary and their
document, which the caseworker downloads. axe finds nothing on the adviser's page in each
state, and nothing scrolls sideways at 320 px."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

import httpx
from playwright.async_api import Browser, ViewportSize, expect

from scripts.platform import Platform
from tests import documents
from tests.e2e.conftest import wait_for_timeline
from tests.e2e.web.conftest import (
    axe_violations,
    new_context,
    screenshot,
    scrolls_sideways,
    sign_in,
)
from tests.e2e.web.test_caseworker_journey import _day, _ehc_request

KINDS_ASKED = ["educational_psychology", "medical"]
NARROW: ViewportSize = {"width": 320, "height": 640}
SUMMARY = {
    "needs": "Finds it hard to follow spoken instructions in a busy classroom",
    "outcomes_sought": "Follows two-step instructions in class by the end of the school year",
    "provision_recommended": "Small-group language sessions, 3 times a week, 20 minutes",
}


async def _link_in_message(platform: Platform, caseworker: dict[str, str], referral_id: str) -> str:
    """The link in the message asking the educational psychologist for advice, as Notify
    delivered it to the address in the council's settings."""
    url = f"{platform.url('notifications')}/v1/referrals/{referral_id}/notifications"
    deadline = asyncio.get_running_loop().time() + 30
    async with httpx.AsyncClient(timeout=10, headers=caseworker) as client:
        while True:
            inbox = platform.local_notify.inbox()  # type: ignore[attr-defined]  # the fixture's
            ids = {a["id"] for a in (await client.get(url)).json() if a["audience"] == "adviser"}
            found = [
                m
                for m in inbox
                if m["reference"] in ids
                and m.get("email_address") == "educational-psychology@advisers.example"
            ]
            if found or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.2)
    [message] = found
    [link] = re.findall(r"https?://\S+/advisers/[\w.-]+", str(message["body"]))
    return str(link)


async def _section_k(plans: httpx.AsyncClient, referral_id: str) -> list[dict[str, Any]]:
    """Section K once plans has listed the advice (it consumes ``AdviceReceived``)."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        plan = await plans.get(f"/v1/referrals/{referral_id}/plan")
        advice: list[dict[str, Any]] = (
            plan.json()["sections"].get("K") or [] if plan.is_success else []
        )
        if advice or asyncio.get_running_loop().time() > deadline:
            return advice
        await asyncio.sleep(0.2)


async def test_an_educational_psychologist_returns_advice_through_their_link(
    browser: Browser,
    web_url: str,
    platform: Platform,
    referrals_api: httpx.AsyncClient,
    caseworker: dict[str, str],
    browser_tools: dict[str, str],
) -> None:
    referral = await _ehc_request(referrals_api, received_days_ago=30)
    path = f"/v1/referrals/{referral['id']}"
    for step, body in (
        ("assessment-decision", {"decision": "assess", "decided_on": str(_day(20))}),
        ("advice-requests", {"kinds": KINDS_ASKED, "requested_on": str(_day(20))}),
    ):
        taken = await referrals_api.post(f"{path}/{step}", json=body)
        assert taken.status_code == 200, taken.text
    await wait_for_timeline(referrals_api, referral["id"], ("plan_drafted",))
    child = referral["child"]

    context = await new_context(browser)
    page = await context.new_page()
    link = await _link_in_message(platform, caseworker, referral["id"])
    await page.goto(link)
    await expect(page).to_have_url(f"{web_url}/advisers")  # the link leaves the address bar
    await expect(page.get_by_role("heading", level=1)).to_have_text("Send your advice")
    await expect(page.locator(".govuk-summary-list")).to_contain_text("Educational psychologist")
    await expect(page.locator(".govuk-summary-list")).to_contain_text(
        f"{child['given_name']} {child['family_name']}"
    )
    due = _day(20) + timedelta(weeks=6)
    await expect(page.locator(".govuk-summary-list")).to_contain_text(f"{due.day} {due:%B %Y}")
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []

    await page.get_by_role("button", name="Send your advice").click()
    summary = page.locator(".govuk-error-summary")
    for words in ("Select the file of your advice", "Enter the child's needs", "Enter outcomes"):
        await expect(summary).to_contain_text(words)
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []

    for name, text in SUMMARY.items():
        await page.fill(f"#{name}", text)
    advice = documents.pdf(f"psychological advice for {referral['id']}")
    await page.set_input_files(
        "#file", files={"name": "EP advice.pdf", "mimeType": "application/pdf", "buffer": advice}
    )
    await page.get_by_role("button", name="Send your advice").click()
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Your advice was received"
    )
    await expect(page.get_by_role("heading", level=1)).to_have_text("Your advice was received")
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []
    await screenshot(page, "adviser-advice-received")
    await context.close()

    # On the clock: received today, within the adviser's 6 weeks.
    ehc = (await referrals_api.get(path)).json()["ehc"]
    received = {a["kind"]: a for a in ehc["advice"]}["educational_psychology"]
    assert received["received_on"] == str(_day(0))
    deadlines = {d["kind"]: d for d in ehc["deadlines"]}
    assert deadlines["advice:educational_psychology"]["state"] == "met"
    # In section K of the plan, with the summary and the document.
    async with httpx.AsyncClient(
        base_url=platform.url("plans"), timeout=10, headers=caseworker
    ) as plans:
        [listed] = await _section_k(plans, referral["id"])
    assert listed["kind"] == "educational_psychology"
    assert {k: listed[k] for k in SUMMARY} == SUMMARY

    staff = await new_context(browser)
    page = await staff.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=f"/referrals/{referral['id']}/plan")
    section = page.locator("#section-K")
    await expect(section).to_contain_text(SUMMARY["provision_recommended"])
    async with page.expect_download() as download_info:
        await section.get_by_role("link", name="Download the advice").click()
    assert (await (await download_info.value).path()).read_bytes() == advice
    await page.goto(f"{web_url}/referrals/{referral['id']}")
    await expect(page.locator("#advice + table")).to_contain_text(_day(0).strftime("%B %Y"))
    await staff.close()

    narrow = await new_context(browser, viewport=NARROW)
    page = await narrow.new_page()
    await page.goto(link)
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert not await scrolls_sideways(page)
    await narrow.close()
