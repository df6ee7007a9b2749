"""A plan's annual review in the workspace: a plan brought in by a manager, opened by the
review scheduler, then each step recorded by a caseworker through its form (the meeting, the
invitations, the meeting held, the report, the decision), every page passing axe; invitations
that leave someone out are named in the error summary and nothing is recorded; once decided,
next year's review is scheduled."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import date, timedelta
from typing import Any

import httpx
from playwright.async_api import Browser, Page, expect

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider, Platform
from shared.dates import add_months, london_today
from tests.e2e.web.conftest import axe_violations, new_context, sign_in


async def _fill_date(page: Page, name: str, day: date) -> None:
    await page.fill(f"#{name}-day", str(day.day))
    await page.fill(f"#{name}-month", str(day.month))
    await page.fill(f"#{name}-year", str(day.year))


async def _imported_plan(
    platform: Platform, identity: IdentityProvider, held_days_ago: int | None = None
) -> str:
    """A Leeds plan in force, last reviewed 335 days ago (its review is due in a month), as a
    manager brings it in (with this year's meeting held ``held_days_ago``, if given); its
    referral id, once the scheduler has opened its review."""
    token = await fetch_token(identity.issuer, "leeds-manager")
    marker, today = f"{random.randrange(10**8):08d}", london_today()
    plan: dict[str, Any] = {
        "case_id": f"E2E-{marker}",
        "local_authority": "E08000035",
        "child": {
            "given_name": random.choice(["Amara", "Zofia", "Bilal", "Niamh"]),
            "family_name": f"Review{marker}",
            "date_of_birth": "2014-06-01",
            "postcode": "LS6 2AB",
        },
        "family_contact": {"name": "Ngozi Okafor", "email": "ngozi@example.org"},
        "needs": ["ASD", "SLCN"],
        "issued_on": str(today - timedelta(days=700)),
        "last_reviewed_on": str(today - timedelta(days=335)),
        "setting_urn": "107958",
    }
    if held_days_ago is not None:
        held = today - timedelta(days=held_days_ago)
        plan["open_steps"] = [{"step": "annual_review_meeting", "on": str(held)}]
    async with httpx.AsyncClient(
        base_url=platform.url("referrals"),
        timeout=10,
        headers={"Authorization": f"Bearer {token}"},
    ) as api:
        answer = await api.post("/v1/live-plans/import", json={"plans": [plan]})
        assert answer.status_code == 200, answer.text
        referral_id: str = answer.json()["plans"][0]["referral_id"]
        deadline = time.monotonic() + 30
        while True:  # the scheduler (every 0.5 s here) opens it
            reviews = (await api.get(f"/v1/referrals/{referral_id}/annual-reviews")).json()
            if reviews[0]["stage"] in ("opened", "meeting_held"):
                return referral_id
            assert time.monotonic() < deadline, reviews
            await asyncio.sleep(0.2)


async def _step(page: Page, link: str, axe_js: str) -> None:
    await page.get_by_role("link", name=link).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(link)
    assert await axe_violations(page, axe_js) == []


async def _record(page: Page, banner: str) -> None:
    await page.get_by_role("button", name="Record it").click()
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(banner)


async def test_a_caseworker_records_each_step_of_an_annual_review(
    browser: Browser,
    web_url: str,
    platform: Platform,
    identity: IdentityProvider,
    browser_tools: dict[str, str],
    today: date,
) -> None:
    axe_js = browser_tools["AXE_JS"]
    referral_id = await _imported_plan(platform, identity)
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=f"/referrals/{referral_id}")
    section = page.locator("#annual-review + dl")
    await expect(section).to_contain_text("To arrange")
    assert await axe_violations(page, axe_js) == []

    await _step(page, "Arrange the annual review meeting", axe_js)
    meeting = today + timedelta(days=21)
    await _fill_date(page, "meeting_on", meeting)
    await _record(page, "The meeting was arranged")
    await expect(section).to_contain_text("Meeting arranged")

    # Leaving health and social care out: named in the summary, nothing recorded.
    await _step(page, "Record the review's invitations sent", axe_js)
    await _fill_date(page, "sent_on", today)
    await page.get_by_label("The family (the parent, or the young person)").check()
    await page.get_by_label("The school or college").check()
    await page.get_by_role("button", name="Record it").click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("health")
    assert (await page.title()).startswith("Error: ")
    assert await axe_violations(page, axe_js) == []
    await page.get_by_label("Health", exact=True).check()
    await page.get_by_label("Social care").check()
    await _record(page, "The invitations were recorded")

    await _step(page, "Record the review meeting held", axe_js)
    await _fill_date(page, "held_on", today)
    await _record(page, "The meeting was recorded")
    await _step(page, "Record the review's report sent", axe_js)
    await _fill_date(page, "sent_on", today)
    await _record(page, "The report was recorded")
    await _step(page, "Record the decision after the review", axe_js)
    await page.get_by_label("Keep the plan as it is (not amend it)").check()
    await _fill_date(page, "decided_on", today)
    await _record(page, "The decision was recorded")

    # Next year's review: scheduled 12 months from the meeting.
    await expect(section).to_contain_text("Scheduled")
    day = add_months(today, 12)
    await expect(section).to_contain_text(f"{day.day} {day:%B %Y}")
    assert await axe_violations(page, axe_js) == []
    await context.close()


async def test_a_caseworker_records_an_amendment_after_the_review(
    browser: Browser,
    web_url: str,
    platform: Platform,
    identity: IdentityProvider,
    browser_tools: dict[str, str],
    today: date,
) -> None:
    axe_js = browser_tools["AXE_JS"]
    referral_id = await _imported_plan(platform, identity, held_days_ago=20)
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=f"/referrals/{referral_id}")
    await expect(page.locator("#annual-review + dl")).to_contain_text("Meeting held")

    await _step(page, "Record the decision after the review", axe_js)
    await page.get_by_label("Amend the plan").check()
    await _fill_date(page, "decided_on", today)
    await _record(page, "The decision was recorded")
    amendment = page.locator("#amendment + dl")
    held = today - timedelta(days=20)
    due = held + timedelta(weeks=12)
    await expect(amendment).to_contain_text(f"{due.day} {due:%B %Y}")

    # 14 days for comments: refused, named, nothing recorded.
    await _step(page, "Record the proposed amendments sent", axe_js)
    sent = today - timedelta(days=16)
    await _fill_date(page, "sent_on", sent)
    await _fill_date(page, "comments_until", sent + timedelta(days=14))
    await page.get_by_role("button", name="Record it").click()
    await expect(page.locator(".govuk-error-summary")).to_contain_text("15 days")
    assert await axe_violations(page, axe_js) == []
    await page.fill("#comments_until-day", "")
    await page.fill("#comments_until-month", "")
    await page.fill("#comments_until-year", "")
    await _record(page, "The proposals were recorded")
    until = sent + timedelta(days=15)
    await expect(amendment).to_contain_text(f"{until.day} {until:%B %Y}")

    await _step(page, "Record the amended plan issued", axe_js)
    await _fill_date(page, "issued_on", today)
    await _record(page, "The amended plan was recorded")
    await expect(page.locator("#amendment")).to_have_count(0)  # done: no amendment under way
    assert await axe_violations(page, axe_js) == []
    await context.close()
