"""The phase transfer cohort page (Reg 18): plans brought in by a manager, a caseworker reaches
the cohort from the caseload, chooses the year of transfer (a GET form, no JavaScript) and sees
each child moving that September with the last legal day (14 February; 30 March to post-16)
and what is late; a year not offered is named in the error summary; every page passes axe."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider, Platform
from shared.dates import london_today
from tests.e2e.web.conftest import axe_violations, new_context, sign_in


@pytest.fixture
def year(today: date) -> int:
    """The cohort moving this coming September."""
    return today.year if date(today.year, 9, 1) > today else today.year + 1


def _plan(family_name: str, born: date) -> dict[str, Any]:
    today = london_today()
    return {
        "case_id": f"E2E-PT-{random.randrange(10**8):08d}",
        "local_authority": "E08000035",
        "child": {
            "given_name": "Kofi",
            "family_name": family_name,
            "date_of_birth": str(born),
            "postcode": "LS6 2AB",
        },
        "family_contact": {"name": "Ama Mensah", "email": "ama@example.org"},
        "needs": ["SLCN"],
        "issued_on": str(today - timedelta(days=700)),
        "last_reviewed_on": str(today - timedelta(days=200)),
        "setting_urn": "107958",
    }


def _state(last_day: date, today: date) -> str:
    """The page's words for a transfer not yet issued on ``today`` (at risk: 10 days, the
    platform's DEADLINE_AT_RISK_DAYS default)."""
    if last_day < today:
        return "Late: not issued"
    return "At risk" if last_day <= today + timedelta(days=10) else "In progress"


async def test_a_caseworker_sees_the_years_cohort_and_what_is_late(
    browser: Browser,
    web_url: str,
    platform: Platform,
    identity: IdentityProvider,
    browser_tools: dict[str, str],
    today: date,
    year: int,
) -> None:
    axe_js = browser_tools["AXE_JS"]
    marker = f"Cohort{random.randrange(10**6):06d}"
    to_secondary = _plan(f"{marker}a", date(year - 11, 1, 15))  # Year 7 this September
    to_post_16 = _plan(f"{marker}b", date(year - 16, 1, 15))  # Year 12
    token = await fetch_token(identity.issuer, "leeds-manager")
    async with httpx.AsyncClient(
        base_url=platform.url("referrals"), timeout=10, headers={"Authorization": f"Bearer {token}"}
    ) as api:
        answer = await api.post("/v1/live-plans/import", json={"plans": [to_secondary, to_post_16]})
        assert answer.status_code == 200, answer.text

    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then="/caseload")
    await page.get_by_role("link", name="Phase transfers").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Phase transfers")
    await page.get_by_label("Year of transfer").select_option(str(year))
    await page.get_by_role("button", name="Show the cohort").click()
    assert f"year={year}" in page.url  # a GET form: the year is in the address
    rows = page.locator("#cohort tbody tr")
    secondary = rows.filter(has_text=f"{marker}a")
    await expect(secondary).to_contain_text("Primary to secondary (or middle) school")
    await expect(secondary).to_contain_text(f"14 February {year}")
    await expect(secondary).to_contain_text("Not issued")
    await expect(secondary).to_contain_text(_state(date(year, 2, 14), today))
    post_16 = rows.filter(has_text=f"{marker}b")
    await expect(post_16).to_contain_text("Secondary school to post-16")
    await expect(post_16).to_contain_text(f"30 March {year}")
    await expect(post_16).to_contain_text(_state(date(year, 3, 30), today))
    assert await axe_violations(page, axe_js) == []

    # Another year: neither child; a year not offered: named in the error summary.
    await page.goto(f"{web_url}/caseload/phase-transfers?year={year + 1}")
    await expect(page.locator("main")).not_to_contain_text(marker)
    await page.goto(f"{web_url}/caseload/phase-transfers?year=1999")
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("Select a year")
    assert (await page.title()).startswith("Error: ")
    assert await axe_violations(page, axe_js) == []
    await context.close()


async def test_the_amended_plan_form_names_the_next_school_and_the_transfer_can_be_set(
    browser: Browser,
    web_url: str,
    platform: Platform,
    identity: IdentityProvider,
    browser_tools: dict[str, str],
    today: date,
    year: int,
) -> None:
    axe_js = browser_tools["AXE_JS"]
    marker = f"Move{random.randrange(10**6):06d}"
    moving = _plan(f"{marker}a", date(year - 11, 2, 2))  # Year 7 this September
    held = today - timedelta(days=40)
    moving["last_reviewed_on"] = str(today - timedelta(days=360))
    moving["open_steps"] = [{"step": "annual_review_meeting", "on": str(held)}]
    infant = _plan(f"{marker}b", date(year - 7, 2, 2))  # Year 3 this September
    token = await fetch_token(identity.issuer, "leeds-manager")
    async with httpx.AsyncClient(
        base_url=platform.url("referrals"), timeout=10, headers={"Authorization": f"Bearer {token}"}
    ) as api:
        answer = await api.post("/v1/live-plans/import", json={"plans": [moving, infant]})
        assert answer.status_code == 200, answer.text
        moving_id, infant_id = (p["referral_id"] for p in answer.json()["plans"])
        base = f"/v1/referrals/{moving_id}/annual-review"
        decided = {"decision": "amend", "decided_on": str(held + timedelta(days=20))}
        assert (await api.post(f"{base}/decision", json=decided)).status_code == 200
        sent = {"sent_on": str(today - timedelta(days=16))}
        assert (await api.post(f"{base}/amendments/proposals", json=sent)).status_code == 200

    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=f"/referrals/{moving_id}")
    await page.get_by_role("link", name="Record the amended plan issued").click()
    await page.fill("#issued_on-day", str(today.day))
    await page.fill("#issued_on-month", str(today.month))
    await page.fill("#issued_on-year", str(today.year))
    await page.get_by_role("button", name="Record it").click()  # no next school: refused
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("URN or UKPRN of the next school or college")
    assert await axe_violations(page, axe_js) == []
    await page.fill("#next_setting", "140001")
    await page.get_by_role("button", name="Record it").click()
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "The amended plan was recorded"
    )

    await page.goto(f"{web_url}/referrals/{infant_id}")
    await page.get_by_role("link", name="Set the child's phase transfer").click()
    assert await axe_violations(page, axe_js) == []
    await page.get_by_label("Infant to junior school").check()
    await page.fill("#year", str(year))
    await page.get_by_role("button", name="Record it").click()
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "The phase transfer was recorded"
    )

    await page.goto(f"{web_url}/caseload/phase-transfers?year={year}")
    rows = page.locator("#cohort tbody tr")
    issued = rows.filter(has_text=f"{marker}a")
    await expect(issued).to_contain_text("URN 140001")
    await expect(issued).to_contain_text(
        "Issued in time" if date(year, 2, 14) >= today else "Issued late"
    )
    await expect(rows.filter(has_text=f"{marker}b")).to_contain_text(
        "Infant to junior school (set by a caseworker)"
    )
    assert await axe_violations(page, axe_js) == []
    await context.close()
