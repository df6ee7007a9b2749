"""Sessions as people live them: a session that ends mid-form keeps the answers through the
sign-in and the step is recorded once (journey 7); signing out ends the session at the
identity provider too; a form without its CSRF token changes nothing; the cookie is HttpOnly
and SameSite=Lax; pages load no script."""

from __future__ import annotations

from datetime import date, timedelta

import asyncpg
import httpx
from playwright.async_api import Browser, expect

from scripts.platform import Platform
from tests.e2e.web.conftest import axe_violations, new_context, screenshot, sign_in
from tests.e2e.web.test_caseworker_journey import _ehc_request, _fill_date


async def _age_every_session(platform: Platform, minutes: int) -> None:
    """Make every session of the workspace look idle for ``minutes`` (as if the person had
    walked away): the workspace's own expiry check then ends it on the next request."""
    url = platform.env["WEB_DATABASE_URL"]
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "UPDATE sessions SET last_seen_at = last_seen_at - make_interval(mins => $1)", minutes
        )
    finally:
        await conn.close()


async def test_answers_survive_a_session_that_ends_mid_form_and_the_step_is_recorded_once(
    browser: Browser,
    web_url: str,
    platform: Platform,
    referrals_api: httpx.AsyncClient,
    browser_tools: dict[str, str],
    today: date,
) -> None:
    referral = await _ehc_request(referrals_api, received_days_ago=12)
    form = f"/referrals/{referral['id']}/steps/assessment-decision"
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=form)
    await page.get_by_label("Refuse to assess").check()
    await _fill_date(page, "decided_on", today - timedelta(days=2))
    await page.get_by_label("No evidence of special educational needs").check()
    await page.fill("#note", "We looked at the school's report with you.")

    await _age_every_session(platform, minutes=31)  # the 30-minute idle timeout passes
    await page.get_by_role("button", name="Record it").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to the SEND workspace")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Your answers have been kept"
    )
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []
    await screenshot(page, "signed-out-mid-form")
    stored = (await referrals_api.get(f"/v1/referrals/{referral['id']}")).json()
    assert stored["ehc"]["assessment_decision"] is None  # nothing was recorded yet

    # The provider still knows them (its own session did not time out): straight back.
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{web_url}{form}")
    await expect(page.get_by_label("Refuse to assess")).to_be_checked()
    await expect(page.locator("#decided_on-day")).to_have_value(
        str((today - timedelta(days=2)).day)
    )
    await expect(page.locator("#note")).to_have_value("We looked at the school's report with you.")

    await page.get_by_role("button", name="Record it").click()
    await expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    await page.go_back()  # the form again, as sent: sending it twice records nothing more
    await page.go_back()
    stored = (await referrals_api.get(f"/v1/referrals/{referral['id']}")).json()
    assert stored["ehc"]["assessment_decision"] == "refuse"
    steps = [t["step"] for t in stored["timeline"]]
    assert steps.count("assessment_decided") == 1
    await context.close()


async def test_the_same_form_sent_twice_records_the_step_once(
    browser: Browser, web_url: str, referrals_api: httpx.AsyncClient, today: date
) -> None:
    referral = await _ehc_request(referrals_api, received_days_ago=12)
    form = f"/referrals/{referral['id']}/steps/assessment-decision"
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=form)
    await page.get_by_label("Assess", exact=True).check()
    await _fill_date(page, "decided_on", today - timedelta(days=1))
    fields = {
        name: await page.locator(f"input[name='{name}']").first.input_value()
        for name in ("csrf_token", "idempotency_key")
    }
    answers: dict[str, str | float | bool] = {
        **fields,
        "decision": "assess",
        "decided_on-day": str((today - timedelta(days=1)).day),
        "decided_on-month": str((today - timedelta(days=1)).month),
        "decided_on-year": str((today - timedelta(days=1)).year),
    }
    first = await page.request.post(f"{web_url}{form}", form=answers, max_redirects=0)
    second = await page.request.post(f"{web_url}{form}", form=answers, max_redirects=0)
    assert (first.status, second.status) == (303, 303)
    stored = (await referrals_api.get(f"/v1/referrals/{referral['id']}")).json()
    assert [t["step"] for t in stored["timeline"]].count("assessment_decided") == 1
    await context.close()


async def test_a_form_without_its_csrf_token_changes_nothing(
    browser: Browser, web_url: str, referrals_api: httpx.AsyncClient, today: date
) -> None:
    referral = await _ehc_request(referrals_api, received_days_ago=12)
    form = f"/referrals/{referral['id']}/steps/assessment-decision"
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=form)
    day = today - timedelta(days=1)
    forged: dict[str, str | float | bool] = {
        "decision": "assess",
        "decided_on-day": str(day.day),
        "decided_on-month": str(day.month),
        "decided_on-year": str(day.year),
    }
    for token in (None, "not-the-token"):
        sent = forged if token is None else {**forged, "csrf_token": token}
        answer = await page.request.post(f"{web_url}{form}", form=sent, max_redirects=0)
        assert answer.status == 400
        assert "This form has expired" in await answer.text()
    stored = (await referrals_api.get(f"/v1/referrals/{referral['id']}")).json()
    assert stored["ehc"]["assessment_decision"] is None
    await context.close()


async def test_signing_out_ends_the_session_here_and_at_the_identity_provider(
    browser: Browser, web_url: str
) -> None:
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then="/caseload")
    cookie = next(c for c in await context.cookies(web_url) if c["name"] == "send_session")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Lax"

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    # The old cookie opens nothing, and the provider asks who you are again (no single
    # sign-on left behind).
    await page.goto(f"{web_url}/caseload")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to the SEND workspace")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#password")).to_be_visible()
    await context.close()


async def test_pages_send_no_script_and_a_strict_policy(web_url: str) -> None:
    async with httpx.AsyncClient(base_url=web_url) as client:
        page = await client.get("/sign-in")
    policy = page.headers["content-security-policy"]
    assert "script-src" not in policy
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "<script" not in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
