"""Journey 3 and the plan pages: two caseworkers change one section of a plan; the second
sees the first's change beside theirs and reapplies theirs on top, and both changes are in
the stored plan. Then a section's problems named and linked (nothing saved), a line added and
one removed without JavaScript (and the quality check that then fails, named where it is),
the plan moved on with a confirmation form (a step that no longer fits explained in words),
its versions, its PDF, and another council's plan "Page not found"."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from scripts.platform import Platform
from shared.dates import london_today
from tests.e2e.web.conftest import (
    axe_violations,
    new_context,
    screenshot,
    scrolls_sideways,
    sign_in,
)

PLAN_WAIT_S = 30.0
"""How long a referral's plan may take to be drafted (it comes through Kafka; about a
second on a fresh run: the bound catches a stall)."""


@pytest.fixture
async def plans_api(
    platform: Platform, caseworker: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=platform.url("plans"), timeout=10, headers=caseworker
    ) as client:
        yield client


async def _referral(api: httpx.AsyncClient, track: str = "support") -> str:
    """A request for a child of its own (a child has one open referral at a time)."""
    response = await api.post(
        "/v1/referrals",
        headers={"Idempotency-Key": str(uuid4())},
        json={
            "local_authority": "E08000035",
            "track": track,
            "requested_by": "school",
            "primary_need": "SLCN",
            "received_on": (london_today() - timedelta(days=3)).isoformat(),
            "child": {
                "given_name": f"Sami{uuid4().hex[:6]}",
                "family_name": "Haddad",
                "date_of_birth": "2018-09-14",
                "postcode": "LS6 2AB",
            },
            "family_contact": {
                "name": "Rania Haddad",
                "email": "rania@example.org",
                "preferred_channel": "email",
            },
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _drafted(plans: httpx.AsyncClient, referral_id: str) -> dict[str, Any]:
    """The referral's plan, once plans has drafted it from the referral's event."""
    deadline = asyncio.get_running_loop().time() + PLAN_WAIT_S
    while True:
        response = await plans.get(f"/v1/referrals/{referral_id}/plan")
        if response.status_code == 200:
            plan: dict[str, Any] = response.json()
            return plan
        assert response.status_code == 404, response.text
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"referral {referral_id}: no plan after {PLAN_WAIT_S}s")
        await asyncio.sleep(0.05)


async def _axe(page: Page, axe_js: str) -> list[dict[str, Any]]:
    """axe-core's violations once the page has loaded: a link clicked is followed by a page
    whose stylesheet may not have applied yet on a busy machine, and unstyled links fail
    ``target-size``."""
    await page.wait_for_load_state("load")
    return await axe_violations(page, axe_js)


async def _save(page: Page, key: str, reason: str) -> None:
    await page.fill("#reason", reason)
    await page.get_by_role("button", name=f"Save section {key}").click()


async def test_two_caseworkers_change_one_section_and_both_changes_are_kept(
    browser: Browser,
    web_url: str,
    referrals_api: httpx.AsyncClient,
    plans_api: httpx.AsyncClient,
    browser_tools: dict[str, str],
) -> None:
    axe = browser_tools["AXE_JS"]
    referral_id = await _referral(referrals_api)
    drafted = await _drafted(plans_api, referral_id)
    outcome = drafted["sections"]["E"][0]
    edit = f"/referrals/{referral_id}/plan/sections/E"
    first_context, second_context = await new_context(browser), await new_context(browser)
    first, second = await first_context.new_page(), await second_context.new_page()
    await sign_in(first, web_url, "leeds-caseworker", then=edit)
    await sign_in(second, web_url, "leeds-manager", then=edit)  # both read version 1
    assert await _axe(first, axe) == []
    await screenshot(first, "plan-edit-section")

    their_words = "By July 2027, Sami asks for help in class using 3-word phrases."
    await first.fill("#row-0-text", their_words)
    await _save(first, "E", "the family's words")
    await expect(first.locator(".govuk-notification-banner--success")).to_contain_text(
        "Section E was saved"
    )

    my_measure = "a weekly log kept by the speech and language therapist"
    await second.fill("#row-0-measure", my_measure)
    await _save(second, "E", "how we will know")
    conflict = second.locator("#conflict")
    await expect(conflict).to_contain_text("Someone else changed this section")
    await expect(conflict).to_contain_text("leeds-caseworker saved version 2")
    await expect(second.locator("#theirs")).to_contain_text(their_words)
    # Their change is in the form, under mine: reapplied on the version now stored.
    await expect(second.locator("#row-0-text")).to_have_value(their_words)
    await expect(second.locator("#row-0-measure")).to_have_value(my_measure)
    await expect(second.locator("input[name=version]")).to_have_value("2")
    assert await _axe(second, axe) == []
    await screenshot(second, "plan-edit-conflict")
    stored = (await plans_api.get(f"/v1/referrals/{referral_id}/plan")).json()
    assert stored["version"] == 2
    assert stored["sections"]["E"][0]["measure"] == outcome["measure"]  # nothing of mine yet

    await second.get_by_role("button", name="Save section E").click()
    await expect(second.locator(".govuk-notification-banner--success")).to_contain_text(
        "Section E was saved"
    )
    stored = (await plans_api.get(f"/v1/referrals/{referral_id}/plan")).json()
    assert stored["version"] == 3
    assert stored["sections"]["E"][0]["text"] == their_words
    assert stored["sections"]["E"][0]["measure"] == my_measure
    assert stored["sections"]["E"][1] == drafted["sections"]["E"][1]

    plan = second.locator("main")
    await expect(plan).to_contain_text("3, saved by leeds-manager")
    await expect(second.locator("#section-E")).to_contain_text(my_measure)
    assert await _axe(second, axe) == []
    await second.get_by_role("link", name="Every version").click()
    rows = second.locator("tbody tr")
    await expect(rows).to_have_count(3)
    await expect(rows.nth(0)).to_contain_text("leeds-manager")
    await expect(rows.nth(0)).to_contain_text("how we will know")
    await expect(rows.nth(1)).to_contain_text("leeds-caseworker")
    assert await _axe(second, axe) == []
    await second.get_by_role("link", name="Version 2").click()
    await expect(second.locator("#section-E + .govuk-summary-card")).to_contain_text(their_words)
    assert await _axe(second, axe) == []
    await first_context.close()
    await second_context.close()


async def test_a_sections_problems_are_named_and_linked_and_nothing_is_saved(
    browser: Browser,
    web_url: str,
    referrals_api: httpx.AsyncClient,
    plans_api: httpx.AsyncClient,
    browser_tools: dict[str, str],
) -> None:
    referral_id = await _referral(referrals_api)
    await _drafted(plans_api, referral_id)
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(
        page, web_url, "leeds-caseworker", then=f"/referrals/{referral_id}/plan/sections/E"
    )

    # The plans service judges: an outcome must meet a need, and a change needs a reason.
    await page.uncheck("#row-0-need_ids")
    await page.get_by_role("button", name="Save section E").click()

    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("There is a problem")
    link = summary.get_by_role("link")
    await expect(link).to_have_count(1)  # the body's reason is judged before the section
    await expect(link).to_have_text("Enter why you changed it")
    assert await link.get_attribute("href") == "#reason"
    await _save(page, "E", "a need that was wrong")
    link = page.locator(".govuk-error-summary").get_by_role("link")
    await expect(link).to_have_text("Outcome 1: select the needs it meets")
    assert await link.get_attribute("href") == "#row-0-need_ids"
    await expect(page.locator("#row-0-need_ids-error")).to_contain_text("select the needs")
    assert (await page.title()).startswith("Error: ")
    assert await _axe(page, browser_tools["AXE_JS"]) == []
    await screenshot(page, "plan-edit-with-errors")
    await link.click()
    assert await page.evaluate("document.activeElement.id") == "row-0-need_ids"
    # The answers are kept as they were sent.
    await expect(page.locator("#reason")).to_have_value("a need that was wrong")
    stored = (await plans_api.get(f"/v1/referrals/{referral_id}/plan")).json()
    assert stored["version"] == 1
    await context.close()


async def test_a_line_is_added_and_one_removed_without_javascript(
    browser: Browser,
    web_url: str,
    referrals_api: httpx.AsyncClient,
    plans_api: httpx.AsyncClient,
    browser_tools: dict[str, str],
) -> None:
    referral_id = await _referral(referrals_api)
    drafted = await _drafted(plans_api, referral_id)
    assert len(drafted["sections"]["E"]) == 2
    context = await new_context(browser, javascript=False)
    page = await context.new_page()
    await sign_in(
        page, web_url, "leeds-caseworker", then=f"/referrals/{referral_id}/plan/sections/E"
    )

    await page.get_by_role("button", name="Add another outcome").click()
    await expect(page.get_by_role("heading", name="Outcome 3")).to_be_visible()
    review = london_today() + timedelta(days=120)
    await page.check("#row-2-need_ids")
    await page.fill("#row-2-text", "By the spring, Sami joins in with a small-group game.")
    await page.fill("#row-2-measure", "termly observation")
    await page.fill("#row-2-review_on-day", str(review.day))
    await page.fill("#row-2-review_on-month", str(review.month))
    await page.fill("#row-2-review_on-year", str(review.year))
    await page.get_by_label("Remove outcome 2 when saving").check()
    await _save(page, "E", "after the meeting with school")

    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Section E was saved"
    )
    stored = (await plans_api.get(f"/v1/referrals/{referral_id}/plan")).json()
    assert [o["id"] for o in stored["sections"]["E"]] == ["outcome-1", "outcome-3"]
    added = stored["sections"]["E"][1]
    assert added["standard_id"] == "caseworker"
    assert added["review_on"] == review.isoformat()
    assert added["need_ids"] == ["need-1"]
    # Provision for outcome 2 now serves nothing: the failed check is named, and where.
    checks = page.locator("#checks + .app-failed-checks")
    await expect(checks).to_contain_text("Outcomes and provision meet a need")
    await expect(checks).to_contain_text("serves no outcome in section E (Outcome 2)")
    await expect(checks.get_by_role("link", name="Section F").first).to_have_attribute(
        "href", "#section-F"
    )
    await context.close()
    # axe-core is a script: it reads the same page state in a browser that runs one.
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=f"/referrals/{referral_id}/plan")
    assert await _axe(page, browser_tools["AXE_JS"]) == []
    await screenshot(page, "plan-failed-checks")
    await context.close()


async def test_the_plan_is_shared_read_on_a_phone_and_downloaded(
    browser: Browser,
    web_url: str,
    referrals_api: httpx.AsyncClient,
    plans_api: httpx.AsyncClient,
    browser_tools: dict[str, str],
) -> None:
    axe = browser_tools["AXE_JS"]
    referral_id = await _referral(referrals_api)
    await _drafted(plans_api, referral_id)
    plan_page = f"/referrals/{referral_id}/plan"
    context = await new_context(browser, viewport={"width": 320, "height": 640})
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=plan_page)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Support plan")
    for key in ("A", "B", "E", "F", "G"):
        await expect(page.locator(f"#section-{key} h2")).to_contain_text(f"{key}: ")
    assert not await scrolls_sideways(page)
    assert await _axe(page, axe) == []
    await screenshot(page, "plan-phone")

    pdf = await page.request.get(f"{web_url}{plan_page}.pdf")
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment; filename=")
    assert (await pdf.body()).startswith(b"%PDF")

    editor = await context.new_page()  # a section open in another tab while it is shared
    await editor.goto(f"{web_url}{plan_page}/sections/A")
    await page.get_by_role("link", name="Share the plan with the family").click()
    assert await _axe(page, axe) == []
    share_form = page.url
    await page.get_by_role("button", name="Share the plan").click()
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "The plan was shared with the family"
    )
    await expect(page.locator("main")).to_contain_text("Shared with the family")
    await expect(page.get_by_role("link", name="Change")).to_have_count(0)
    stored = (await plans_api.get(plan_page.replace("/referrals", "/v1/referrals"))).json()
    assert stored["status"] == "shared"

    await editor.fill("#content", "Sami likes drawing.")
    await _save(editor, "A", "his words")
    await expect(editor.locator(".govuk-error-summary")).to_contain_text(
        "it is now shared with the family"
    )
    await editor.close()
    # The same step again (the back button): refused, in words, and nothing changes.
    await page.goto(share_form)
    await page.get_by_role("button", name="Share the plan").click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("not while the plan is shared")
    assert await _axe(page, axe) == []
    after = (await plans_api.get(plan_page.replace("/referrals", "/v1/referrals"))).json()
    assert after["version"] == stored["version"]

    other = await new_context(browser)
    bradford = await other.new_page()
    await sign_in(bradford, web_url, "bradford-caseworker", then="/caseload")
    for path in (plan_page, f"{plan_page}/sections/E", f"{plan_page}/versions"):
        response = await bradford.goto(f"{web_url}{path}")
        assert response is not None
        assert response.status == 404
        await expect(bradford.get_by_role("heading", level=1)).to_have_text("Page not found")
    await other.close()
    await context.close()


async def test_an_ehc_request_starts_with_the_support_plan_and_a_step_out_of_turn_is_explained(
    browser: Browser,
    web_url: str,
    referrals_api: httpx.AsyncClient,
    plans_api: httpx.AsyncClient,
    browser_tools: dict[str, str],
) -> None:
    axe = browser_tools["AXE_JS"]
    referral_id = await _referral(referrals_api, track="ehc")
    await _drafted(plans_api, referral_id)
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=f"/referrals/{referral_id}/plan")
    # The EHC plan is drafted once the council decides to issue one (test_ehc_plan_pages.py):
    # until then the plan is the child's support plan, sections labelled with their letters.
    await expect(page.get_by_role("heading", level=1)).to_have_text("Support plan")
    await expect(page.locator("main")).to_contain_text(
        "The EHC plan is drafted from the advice received once the council decides to issue one."
    )
    headings = page.locator(".app-plan-section > h2")
    await expect(headings).to_have_count(5)
    await expect(headings.nth(2)).to_have_text("E: Outcomes")

    await page.get_by_role(
        "link", name="Change section A, views, interests and aspirations"
    ).click()
    views = "Amir loves trains and wants to make friends at his new school."
    await page.fill("#content", views)
    await _save(page, "A", "the family's words")
    await expect(page.locator("#section-A")).to_contain_text(views)
    stored = (await plans_api.get(f"/v1/referrals/{referral_id}/plan")).json()
    assert stored["sections"]["A"] == views

    # The draft cannot be issued before the council decides to issue a plan: said in words.
    await page.get_by_role("link", name="Issue the draft plan for the family's comments").click()
    await page.get_by_role("button", name="Issue the draft plan").click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("has not decided to issue an EHC plan yet")
    assert await _axe(page, axe) == []
    after = (await plans_api.get(f"/v1/referrals/{referral_id}/plan")).json()
    assert after["status"] == "draft"
    assert after["version"] == stored["version"]
    await context.close()
