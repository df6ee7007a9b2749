"""A plan transferred from another council taken over through the workspace's form (Reg 15):
a form sent with nothing names each question in the error summary; the API's own problems
(an old council's code that is not one, a family contact with no email or phone) are named
on the form's fields; the corrected form records the transfer and the child's referral page
shows it with its limits; the same form sent again records nothing more. Every page passes
axe. Someone who is neither a caseworker nor a manager is refused the page (403)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from playwright.async_api import Browser, expect

from tests.e2e.web.conftest import axe_violations, new_context, screenshot, sign_in
from tests.e2e.web.test_annual_review_journey import _fill_date

FORM = "/live-plans/transfer-in"


async def test_a_caseworker_takes_over_a_transferred_plan_through_the_form(
    browser: Browser, web_url: str, browser_tools: dict[str, str], today: date
) -> None:
    axe_js = browser_tools["AXE_JS"]
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then="/caseload")
    await page.get_by_role("link", name="Take over a transferred plan").click()
    heading = "Take over a plan transferred from another council"
    await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert await axe_violations(page, axe_js) == []

    await page.get_by_role("button", name="Take over the plan").click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("Enter the council that transferred the plan")
    await expect(summary).to_contain_text("Enter child's date of birth")
    await expect(summary).to_contain_text("Select primary need")
    assert (await page.title()).startswith("Error: ")
    assert await axe_violations(page, axe_js) == []

    marker = f"{random.randrange(10**8):08d}"
    await page.fill("#from_council", "E0800003")  # 7 digits: the API's 422 names it
    await _fill_date(page, "transferred_on", today - timedelta(days=10))
    await page.fill("#child_given_name", random.choice(["Amara", "Zofia", "Bilal", "Niamh"]))
    await page.fill("#child_family_name", f"Moved{marker}")
    await _fill_date(page, "child_date_of_birth", date(2014, 6, 1))
    await page.fill("#child_postcode", "LS6 2AB")
    await page.fill("#contact_name", "Ngozi Okafor")  # no email, no phone: the API says so
    await page.get_by_label("Email", exact=True).check()
    await page.select_option("#primary_need", "ASD")
    await page.select_option("#secondary_need", "SLCN")
    await _fill_date(page, "issued_on", today - timedelta(days=500))
    await _fill_date(page, "last_reviewed_on", today - timedelta(days=150))
    await page.fill("#setting", "107958")
    await page.get_by_role("button", name="Take over the plan").click()
    await expect(summary.locator('a[href="#from_council"]')).to_have_count(1)
    await expect(summary.locator('a[href="#contact_email"]')).to_have_count(1)
    await expect(page.locator("#from_council-error")).to_contain_text("must be E and 8 digits")
    await expect(page.locator("#contact_email-error")).to_contain_text(
        "Contact's email address is needed for the preferred channel"
    )
    await expect(page.locator("#child_postcode")).to_have_value("LS6 2AB")  # kept
    assert await axe_violations(page, axe_js) == []
    await screenshot(page, "transfer-in-errors")

    await page.fill("#from_council", "E08000032")
    await page.fill("#contact_email", "ngozi@example.org")
    sent = await page.eval_on_selector(
        "form[novalidate]",
        "f => Object.fromEntries(Array.from(new FormData(f).entries()))",
    )
    await page.get_by_role("button", name="Take over the plan").click()
    decide_by = today - timedelta(days=10) + timedelta(weeks=6)
    banner = page.locator(".govuk-notification-banner--success")
    await expect(banner).to_contain_text("Plan taken over from E08000032")
    await expect(banner).to_contain_text(f"tell the family by {decide_by.day} {decide_by:%B %Y}")
    await expect(banner).to_contain_text("the annual review is due by")
    assert "/referrals/" in page.url
    transfer = page.locator("#transfer-in + dl")
    await expect(transfer).to_contain_text(f"{decide_by.day} {decide_by:%B %Y}")
    await expect(transfer).to_contain_text("Not yet")
    assert await axe_violations(page, axe_js) == []

    # The same form sent again (a double click, the back button): the first answer, once.
    again = await page.request.post(f"{web_url}{FORM}?council=E08000035", form=sent)
    assert again.status == 200
    assert again.url == page.url  # the same child's referral: no second plan
    await context.close()


async def test_a_school_user_cannot_take_over_a_plan(browser: Browser, web_url: str) -> None:
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-senco", then="/school")
    answer = await page.goto(f"{web_url}{FORM}")
    assert answer is not None
    assert answer.status == 403
    await context.close()
