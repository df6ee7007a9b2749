"""Journey: a speech and language therapist of the team a child is allocated to (Leeds North
SLT, the seed's team for LS6) is told at the team's address, signs in, sees the newly allocated
child on their caseload with what the plan asks of them (its provision for their role), takes
the child on, arranges the first session (a form sent empty first: its error named) and records
a session given against one of those provision lines; the family's page then shows the first
session's day. A practitioner of another team finds no page about the child. Every state is
checked by axe-core and for sideways scrolling at 320 px."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Page

from scripts.platform import Platform
from shared.dates import london_today
from tests.e2e.conftest import JOURNEY_WAIT_S, wait_for_timeline
from tests.e2e.test_journey import referral_body
from tests.e2e.web.conftest import (
    PHONE,
    axe_violations,
    new_context,
    screenshot,
    scrolls_sideways,
    sign_in,
)

TEAM_ADDRESS = "slt.north@leeds.example.org"  # the seed registry's Leeds North SLT team


async def _checked(page: Page, name: str, axe_js: str) -> None:
    assert await axe_violations(page, axe_js) == [], name
    width = page.viewport_size
    await page.set_viewport_size({"width": 320, "height": 640})
    assert not await scrolls_sideways(page), f"{name} at 320 px"
    if width is not None:
        await page.set_viewport_size(width)
    await screenshot(page, f"practitioner-{name}")


async def _messages(platform: Platform, caseworker: dict[str, str], referral_id: str) -> Any:
    async with httpx.AsyncClient(timeout=10, headers=caseworker) as client:
        url = f"{platform.url('notifications')}/v1/referrals/{referral_id}/notifications"
        return {a["template"]: a for a in (await client.get(url)).json()}


async def _team_told(platform: Platform, caseworker: dict[str, str], referral_id: str) -> str:
    """The team's message about the child, as Notify delivered it to the team's address."""
    deadline = asyncio.get_running_loop().time() + JOURNEY_WAIT_S
    while True:
        alerts = await _messages(platform, caseworker, referral_id)
        told = alerts.get("child-allocated-to-team")
        inbox = platform.local_notify.inbox()  # type: ignore[attr-defined]  # set by the fixture
        found = [m for m in inbox if told and m["reference"] == told["id"]]
        if found:
            assert found[0]["email_address"] == TEAM_ADDRESS
            return str(found[0]["body"])
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"the team was not told of referral {referral_id}: {alerts}")
        await asyncio.sleep(0.1)


async def test_a_therapist_takes_on_a_new_child_arranges_the_first_session_and_the_family_sees_it(
    browser: Any,
    browser_tools: dict[str, str],
    web_url: str,
    platform: Platform,
    referrals_api: httpx.AsyncClient,
    caseworker: dict[str, str],
) -> None:
    axe = browser_tools["AXE_JS"]
    created = await referrals_api.post("/v1/referrals", json=referral_body())
    assert created.status_code == 201, created.text
    referral_id = created.json()["id"]
    reference = referral_id[:8].upper()
    await wait_for_timeline(referrals_api, referral_id)
    body = await _team_told(platform, caseworker, referral_id)
    assert f"referral {reference}" in body
    assert f"{web_url}/practitioner" in body

    context = await new_context(browser)
    page = await context.new_page()
    try:
        await sign_in(page, web_url, "leeds-slt", then="/practitioner")
        assert await page.locator("h1").inner_text() == "Your caseload"
        child = page.get_by_role("link", name=re.compile(f"Referral {reference}"))
        await _checked(page, "caseload", axe)
        await child.click()
        allocation_url = page.url
        assert re.fullmatch(rf"{web_url}/practitioner/[0-9a-f-]{{36}}", allocation_url)
        assert await page.locator("h1").inner_text() == f"Referral {reference}"
        asked = await page.locator("#asked + ul").inner_text()
        assert "(section F)" in asked  # what the plan asks of a speech and language therapist
        assert "minutes each time" in asked
        await _checked(page, "new-child", axe)

        await page.get_by_role("button", name="Accept the allocation").click()
        await page.wait_for_url(allocation_url)
        assert "You took the child on" in await page.inner_text("main")

        await page.get_by_role("link", name="Arrange the first session").click()
        await page.get_by_role("button", name="Save the day").click()  # empty: the error
        assert (await page.title()).startswith("Error: ")
        summary = page.locator(".govuk-error-summary a[href='#session_on-day']")
        assert await summary.inner_text() == "Enter day of the first session"
        await _checked(page, "first-session-error", axe)
        first = london_today() + timedelta(days=7)
        await page.fill("#session_on-day", str(first.day))
        await page.fill("#session_on-month", str(first.month))
        await page.fill("#session_on-year", str(first.year))
        await page.get_by_role("button", name="Save the day").click()
        await page.wait_for_url(allocation_url)
        said = f"{first.day} {first:%B %Y}"
        assert said in await page.inner_text("main")

        today = london_today()
        await page.get_by_role("link", name="Record a session given").click()
        await page.fill("#given_on-day", str(today.day))
        await page.fill("#given_on-month", str(today.month))
        await page.fill("#given_on-year", str(today.year))
        await page.fill("#minutes", "45")
        # The plan's lines for their role are the choices: the session is recorded against one.
        offered = page.locator("input[name=provision_id]")
        assert await offered.count() >= 1
        line = await offered.first.get_attribute("value")
        await offered.first.check()
        await _checked(page, "record-session", axe)
        await page.get_by_role("button", name="Record the session").click()
        await page.wait_for_url(allocation_url)
        main = await page.inner_text("main")
        assert "1 (45 minutes)" in main
        assert f"45 minutes, provision {line}" in main
        await _checked(page, "child", axe)
    finally:
        await context.close()

    # Another team's practitioner finds no page about the child.
    other = await new_context(browser)
    page = await other.new_page()
    try:
        await sign_in(page, web_url, "leeds-slt-south", then="/practitioner")
        assert reference not in await page.inner_text("main")
        missing = await page.goto(allocation_url)
        assert missing is not None
        assert missing.status == 404
        assert reference not in await page.inner_text("main")
    finally:
        await other.close()

    # The caseworker's timeline and the family's page show the first session's day.
    await wait_for_timeline(
        referrals_api, referral_id, steps=("allocation_accepted", "first_session_arranged")
    )
    link = await _family_link(platform, caseworker, referral_id)
    family = await new_context(browser, viewport=PHONE)
    page = await family.new_page()
    try:
        await page.goto(link)
        main = await page.inner_text("main")
        assert "A specialist took on your child's support" in main
        assert f"A specialist arranged the first session, on {said}" in main
        assert f"Your child's first session with the specialist is on {said}." in main
        await _checked(page, "family-first-session", axe)
    finally:
        await family.close()


async def _family_link(platform: Platform, caseworker: dict[str, str], referral_id: str) -> str:
    """The link in the family's first message, as Notify delivered it."""
    alerts = await _messages(platform, caseworker, referral_id)
    inbox = platform.local_notify.inbox()  # type: ignore[attr-defined]  # set by the fixture
    [message] = [m for m in inbox if m["reference"] == alerts["request-received"]["id"]]
    [link] = re.findall(r"https?://\S+/family/[\w.-]+", str(message["body"]))
    return str(link)
