"""The audit trail page: an auditor finds a caseworker's read of a referral, across the four
services' trails at once; pages through many entries that share a time, each shown once; a
search that is not an id is named in the error summary; a caseworker cannot see the page."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from uuid import uuid4

import httpx
from playwright.async_api import Browser, Page, expect
from web.pages import date_and_time

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider, Platform
from shared.services import EVENT_SERVICES
from tests.e2e.web.conftest import (
    PHONE,
    axe_violations,
    new_context,
    screenshot,
    scrolls_sideways,
    sign_in,
)


async def _new_referral(api: httpx.AsyncClient, born: str = "2018-05-01") -> str:
    response = await api.post(
        "/v1/referrals",
        headers={"Idempotency-Key": str(uuid4())},
        json={
            "local_authority": "E08000035",
            "requested_by": "school",
            "primary_need": "ASD",
            "child": {
                "given_name": "Tom",
                "family_name": "Ellis",
                "date_of_birth": born,
                "postcode": "LS6 2AB",
            },
            "family_contact": {"name": "Sam Ellis", "email": "sam@example.org"},
        },
    )
    assert response.status_code == 201, response.text
    referral_id: str = response.json()["id"]
    return referral_id


async def _rows(page: Page) -> list[tuple[str, str]]:
    """Each entry shown: (when, which service)."""
    rows = page.locator("table tbody tr")
    return [
        (
            (await rows.nth(n).locator("td").first.inner_text()).strip(),
            (await rows.nth(n).locator(".app-audit-service").inner_text()).strip(),
        )
        for n in range(await rows.count())
    ]


async def test_an_auditor_finds_a_caseworkers_read_of_a_referral(
    browser: Browser, web_url: str, referrals_api: httpx.AsyncClient, browser_tools: dict[str, str]
) -> None:
    referral_id = await _new_referral(referrals_api)
    assert (await referrals_api.get(f"/v1/referrals/{referral_id}")).status_code == 200
    axe = browser_tools["AXE_JS"]
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-auditor", then="/audit")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    assert await axe_violations(page, axe) == []

    await page.get_by_label("Referral id").fill(referral_id)
    await page.get_by_role("button", name="Search").click()
    assert f"referral_id={referral_id}" in page.url
    read = (
        page.locator("table tbody tr")
        .filter(has_text="leeds-caseworker")
        .filter(has_text="Read: referral")
    )
    await expect(read.first).to_contain_text(referral_id[:8].upper())
    await expect(read.first.locator(".app-audit-service")).to_have_text("Referrals")
    # The referral's own creation and the other services' work on it are in the same list.
    await expect(page.locator("table tbody")).to_contain_text("Created")
    assert await axe_violations(page, axe) == []
    await screenshot(page, "audit-trail")

    await page.get_by_label("Person").fill("nobody-at-all")
    await page.get_by_role("button", name="Search").click()
    await expect(page.get_by_text("No entries match your search.")).to_be_visible()
    assert await axe_violations(page, axe) == []

    await page.goto(
        f"{web_url}/audit?referral_id=LEEDS-123&from-day=31&from-month=2&from-year=2026"
    )
    summary = page.locator(".govuk-error-summary")
    await expect(summary.get_by_role("link", name="Referral id must be")).to_have_attribute(
        "href", "#referral_id"
    )
    await expect(summary.get_by_role("link", name="From must be a real date")).to_be_visible()
    await expect(page.locator("#referral_id-error")).to_contain_text("Referral id must be")
    assert await page.locator("table").count() == 0
    assert await axe_violations(page, axe) == []
    await context.close()

    phone = await new_context(browser, viewport={"width": 320, "height": 640})
    small = await phone.new_page()
    await sign_in(small, web_url, "leeds-auditor", then=f"/audit?referral_id={referral_id}")
    assert not await scrolls_sideways(small)
    await phone.close()


async def test_paging_shows_every_entry_of_the_four_services_once(
    browser: Browser,
    web_url: str,
    platform: Platform,
    identity: IdentityProvider,
    referrals_api: httpx.AsyncClient,
) -> None:
    """A caseload page audits each referral it lists at one time: three pages of ten make
    thirty entries at three times, and a page of the trail (25) ends inside the third."""
    for day in range(1, 11):
        await _new_referral(referrals_api, born=f"2017-06-{day:02d}")
    for _ in range(3):
        listed = await referrals_api.get("/v1/referrals?limit=10")
        assert len(listed.json()["items"]) == 10
    auditor = {"Authorization": f"Bearer {await fetch_token(identity.issuer, 'leeds-auditor')}"}
    expected: Counter[tuple[str, str]] = Counter()
    async with httpx.AsyncClient(headers=auditor, timeout=10) as client:
        for service in EVENT_SERVICES:
            # Every entry of the caseworker's, page by page through the service's own cursor:
            # the other journeys' work is in the same trail, more than one page of it.
            params: dict[str, Any] = {"actor": "leeds-caseworker", "limit": 1000}
            while True:
                answer = await client.get(f"{platform.url(service)}/v1/audit", params=params)
                assert answer.status_code == 200, answer.text
                entries = answer.json()
                expected.update((date_and_time(e["at"]), service.capitalize()) for e in entries)
                if len(entries) < 1000:
                    break
                params |= {"to": entries[-1]["at"], "before_id": entries[-1]["id"]}
    assert sum(expected.values()) > 25  # more than a page of the workspace's trail

    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-auditor", then="/audit?actor=leeds-caseworker")
    shown: Counter[tuple[str, str]] = Counter()
    pages = 0
    while True:
        pages += 1
        rows = await _rows(page)
        assert 0 < len(rows) <= 25
        shown.update(rows)
        older = page.get_by_role("link", name="Older entries")
        if await older.count() == 0:
            break
        following = f"{web_url}{await older.get_attribute('href')}"
        await older.click()
        # That page itself: from the third on, the last one had a "Newest entries" link too.
        await page.wait_for_url(re.compile(f"{re.escape(following)}$"))
    assert shown == expected
    assert pages >= 2
    await context.close()


async def test_a_caseworker_cannot_see_the_audit_trail(browser: Browser, web_url: str) -> None:
    context = await new_context(browser, viewport=PHONE)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then="/caseload")
    response = await page.goto(f"{web_url}/audit")
    assert response is not None
    assert response.status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text("You cannot see this page")
    await context.close()
