"""Journey 1: a caseworker signs in, finds a referral by NHS number through the caseload's
search, records each statutory step through the forms (assess, advice asked for and received,
issue, draft, final) and sees each deadline met. And journey 2: a bad date is named in the
error summary, linked to its field, and nothing is recorded."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import httpx
from playwright.async_api import Browser, Page, expect

from shared.dates import london_today
from tests.e2e.conftest import wait_for_timeline
from tests.e2e.web.conftest import axe_violations, new_context, screenshot, sign_in


def _day(days_ago: int) -> date:
    return london_today() - timedelta(days=days_ago)


def fresh_nhs_number() -> str:
    """An NHS number of the range kept for tests (999, never issued) with a valid check digit,
    new each time (a child's number is theirs alone in a council)."""
    while True:
        first = f"999{random.randrange(10**6):06d}"
        total = sum(int(d) * w for d, w in zip(first, range(10, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        if check != 10:
            return f"{first}{check}"


def _a_child() -> dict[str, str]:
    """A child no other test has sent (an open referral for the same child is a 409), 5 to 12
    years old: below Year 9, so no advice on preparing for adulthood is required (Reg 6(1)(g))."""
    born = london_today() - timedelta(days=365 * 5 + random.randrange(365 * 7))
    return {
        "given_name": random.choice(["Amara", "Zofia", "Bilal", "Niamh", "Kwame", "Ioana"]),
        "family_name": random.choice(["Okafor", "Kowalska", "Hussain", "Byrne", "Mensah"]),
        "date_of_birth": born.isoformat(),
        "postcode": random.choice(["LS6 2AB", "LS7 3QE", "LS11 5TT", "LS16 6EB"]),
    }


async def _ehc_request(
    api: httpx.AsyncClient, received_days_ago: int, *, nhs_number: str | None = None
) -> dict[str, Any]:
    """A Leeds EHC needs assessment request for a new child; the answer, with the ``child``
    as sent."""
    child: dict[str, str] = _a_child()
    if nhs_number is not None:
        child["nhs_number"] = nhs_number
    response = await api.post(
        "/v1/referrals",
        headers={"Idempotency-Key": str(uuid4())},
        json={
            "local_authority": "E08000035",
            "track": "ehc",
            "requested_by": "parent",
            "primary_need": "SLCN",
            "received_on": _day(received_days_ago).isoformat(),
            "child": child,
            "family_contact": {
                "name": "Ngozi Okafor",
                "email": "ngozi@example.org",
                "preferred_channel": "email",
            },
        },
    )
    assert response.status_code == 201, response.text
    return {**response.json(), "child": child}


async def _fill_date(page: Page, name: str, day: date) -> None:
    await page.fill(f"#{name}-day", str(day.day))
    await page.fill(f"#{name}-month", str(day.month))
    await page.fill(f"#{name}-year", str(day.year))


async def _step(page: Page, link: str) -> None:
    await page.get_by_role("link", name=link).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(link)


async def _record(page: Page, banner: str) -> None:
    await page.get_by_role("button", name="Record it").click()
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(banner)


async def test_a_caseworker_records_every_statutory_step_through_the_forms(
    browser: Browser, web_url: str, referrals_api: httpx.AsyncClient, browser_tools: dict[str, str]
) -> None:
    number = fresh_nhs_number()
    referral = await _ehc_request(referrals_api, received_days_ago=40, nhs_number=number)
    child = referral["child"]
    born = date.fromisoformat(child["date_of_birth"])
    await wait_for_timeline(referrals_api, referral["id"], ("message_sent",))  # contact stored
    reference = referral["id"][:8].upper()
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then="/caseload")

    # Found by NHS number, written as people write it; the number never goes in the address.
    await page.get_by_label("Search by reference, NHS number or name").fill(
        f"{number[:3]} {number[3:6]} {number[6:]}"
    )
    await page.get_by_role("button", name="Search", exact=True).click()
    results = page.locator("table.govuk-table tbody tr")
    await expect(results).to_have_count(1)
    await expect(results).to_contain_text(reference)
    await expect(results).to_contain_text(f"{born.day} {born:%B %Y}")
    assert number not in page.url
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []
    await screenshot(page, "caseload-search")
    await results.get_by_role("link", name=f"{child['given_name']} {child['family_name']}").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Referral {reference}")
    child = page.locator("#child + .govuk-summary-list")
    await expect(child).to_contain_text(f"{number[:3]} {number[3:6]} {number[6:]}")
    await expect(page.locator("#family + .govuk-summary-list")).to_contain_text("ngozi@example.org")
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []

    await _step(page, "Record the decision whether to assess")
    await page.get_by_label("Assess", exact=True).check()
    await _fill_date(page, "decided_on", _day(38))
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []
    await _record(page, "decision whether to assess was recorded")

    await _step(page, "Ask for advice")
    for adviser in (
        "Educational (head teacher or teacher)",
        "Medical (health)",
        "Educational psychologist",
        "Social care",
        "Parent or young person",
    ):
        await page.get_by_label(adviser).check()
    await _fill_date(page, "requested_on", _day(37))
    await _record(page, "advice requests were recorded")

    for adviser in ("Educational psychologist", "Medical (health)", "Social care"):
        await page.get_by_role("link", name=f"Record it as received ({adviser})").click()
        await _fill_date(page, "received_on", _day(30))
        await _record(page, "advice was recorded as received")

    await _step(page, "Record the decision whether to issue a plan")
    await page.get_by_label("Issue an EHC plan").check()
    await _fill_date(page, "decided_on", _day(29))
    await _record(page, "decision whether to issue a plan was recorded")

    await _step(page, "Record the draft plan issued")
    await _fill_date(page, "issued_on", _day(25))
    await _record(page, "draft plan was recorded")

    await _step(page, "Record the final plan issued")
    await _fill_date(page, "issued_on", _day(5))
    await _record(page, "final plan was recorded")

    clock = page.locator("#clock + .app-table-wrapper table")
    for limit in ("Decide whether to assess", "Issue the final plan"):
        row = clock.get_by_role("row").filter(has_text=limit)
        await expect(row).to_contain_text("Met")
    await screenshot(page, "referral-final-plan")
    stored = (await referrals_api.get(f"/v1/referrals/{referral['id']}")).json()
    assert stored["ehc"]["stage"] == "final_plan_issued"
    assert stored["ehc"]["final_issued_on"] == _day(5).isoformat()
    await context.close()


async def test_a_bad_date_is_named_and_linked_and_nothing_is_recorded(
    browser: Browser,
    web_url: str,
    referrals_api: httpx.AsyncClient,
    browser_tools: dict[str, str],
    today: date,
) -> None:
    referral = await _ehc_request(referrals_api, received_days_ago=10)
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=f"/referrals/{referral['id']}")

    await _step(page, "Record the decision whether to assess")
    await page.get_by_label("Assess", exact=True).check()
    await _fill_date(page, "decided_on", today + timedelta(days=3))  # in the future
    await page.get_by_role("button", name="Record it").click()

    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("There is a problem")
    link = summary.get_by_role("link")
    await expect(link).to_contain_text("Date of the decision")
    assert await link.get_attribute("href") == "#decided_on-day"
    await expect(page.locator("#decided_on-error")).to_contain_text("Date of the decision")
    assert (await page.title()).startswith("Error: ")
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []
    await screenshot(page, "step-with-error")

    await link.click()
    assert await page.evaluate("document.activeElement.id") == "decided_on-day"
    stored = (await referrals_api.get(f"/v1/referrals/{referral['id']}")).json()
    assert stored["ehc"]["stage"] == "assessment_requested"
    assert stored["ehc"]["assessment_decided_on"] is None
    await context.close()
