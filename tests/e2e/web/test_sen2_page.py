"""The SEN2 page: a manager chooses a census date (a date that is not one, or out of range, is
named in the error summary and beside the field), sees the year's totals and each child's
validation problems linked to the child's referral, and downloads the return as XML and CSV
with their content type and a file name. Another council's return is "Page not found"; a
caseworker cannot see the page. Seeded through the referrals API in a year no other test uses."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.web.conftest import PHONE, axe_violations, new_context, screenshot, sign_in
from tests.e2e.web.test_reports import _ehc_request, _to_final_plan

LEEDS = "E08000035"


@pytest.fixture
def year(today: date) -> int:
    """The return's year: five years ago, a year no other test seeds."""
    return today.year - 5


def _census(year: int) -> date:
    """The census date of ``year``'s return."""
    return date(year + 1, 1, 20)


async def _ask(page: Page, day: str, month: str, year: str) -> None:
    await page.get_by_label("Day").fill(day)
    await page.get_by_label("Month").fill(month)
    await page.get_by_label("Year").fill(year)
    await page.get_by_role("button", name="Show the return").click()


async def test_a_manager_sees_the_totals_and_problems_and_downloads_the_return(
    browser: Browser,
    web_url: str,
    referrals_api: httpx.AsyncClient,
    browser_tools: dict[str, str],
    year: int,
) -> None:
    census = _census(year)
    jan = date(year, 1, 8)
    planned = await _ehc_request(
        referrals_api, jan, "2016-05-17", *_to_final_plan(jan, jan + timedelta(weeks=19))
    )
    march = date(year, 3, 1)
    refusal = {
        "decision": "refuse",
        "decided_on": str(march + timedelta(weeks=4)),
        "reason": "needs_met_from_available_provision",
    }
    refused = await _ehc_request(
        referrals_api, march, "2016-02-03", ("assessment-decision", refusal)
    )

    axe = browser_tools["AXE_JS"]
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-manager", then="/caseload")
    await page.get_by_role("link", name="SEN2 return").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("SEN2 return")
    assert await axe_violations(page, axe) == []

    await page.get_by_role("button", name="Show the return").click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary.get_by_role("link", name="Enter census date")).to_have_attribute(
        "href", "#census_date-day"
    )
    await _ask(page, "31", "2", str(year + 1))
    await expect(summary).to_contain_text("Census date must be a real date")
    await expect(page.locator("#census_date-error")).to_contain_text("must be a real date")
    await expect(page.get_by_label("Day")).to_have_value("31")  # kept
    assert await axe_violations(page, axe) == []
    await _ask(page, "20", "1", "1999")
    await expect(summary).to_contain_text("Census date must be in a year from 2015")

    await _ask(page, str(census.day), str(census.month), str(census.year))
    figures = page.locator(".govuk-summary-list")
    for key, value in (
        ("Requests for an EHC needs assessment", "2"),
        ("Refused an assessment", "1"),
        ("Assessments agreed", "1"),
        ("New EHC plans issued", "1"),
        ("Issued within 20 weeks, including exceptions", "1"),
    ):
        row = figures.locator(".govuk-summary-list__row").filter(has_text=key)
        await expect(row.locator(".govuk-summary-list__value")).to_have_text(value)
    for referral_id in (planned, refused):
        link = page.get_by_role("link", name=f"Referral {referral_id[:8]}")
        await expect(link).to_have_attribute("href", f"/referrals/{referral_id}")
    problems = page.get_by_role("row").filter(has_text=f"Referral {refused[:8]}")
    await expect(problems).to_contain_text("no UPN recorded")
    assert await axe_violations(page, axe) == []
    await screenshot(page, "sen2")

    for extension, content_type, first in (
        ("xml", "application/xml", "<"),
        ("csv", "text/csv", "UPN"),
    ):
        link = page.get_by_role("link", name=f"Download the return as {extension.upper()}")
        href = await link.get_attribute("href")
        got = await page.request.get(f"{web_url}{href}")
        assert got.status == 200
        assert got.headers["content-type"].startswith(content_type)
        name = f"sen2-{LEEDS}-{census.isoformat()}.{extension}"
        assert got.headers["content-disposition"] == f'attachment; filename="{name}"'
        text = await got.text()
        assert first in text.splitlines()[0]
        assert str(planned) in text or extension == "xml"
    xml = await page.request.get(f"{web_url}/sen2/return.xml?census_date={census.isoformat()}")
    assert "<ReferenceDate>" in await xml.text()

    other = await page.goto(f"{web_url}/sen2?council=E08000032")
    assert other is not None
    assert other.status == 404
    elsewhere = await page.request.get(
        f"{web_url}/sen2/return.csv?council=E08000032&census_date={census.isoformat()}"
    )
    assert elsewhere.status == 404
    await context.close()

    plain = await new_context(browser, javascript=False)  # the date form needs no script
    page = await plain.new_page()
    await sign_in(page, web_url, "leeds-manager", then="/sen2")
    await _ask(page, str(census.day), str(census.month), str(census.year))
    await expect(
        page.get_by_role("heading", name=f"Census date 20 January {census.year}")
    ).to_be_visible()
    await plain.close()


async def test_a_caseworker_cannot_see_the_sen2_page(
    browser: Browser, web_url: str, year: int
) -> None:
    context = await new_context(browser, viewport=PHONE)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then="/caseload")
    for path in ("/sen2", f"/sen2/return.xml?census_date={_census(year).isoformat()}"):
        answer = await page.goto(f"{web_url}{path}")
        assert answer is not None
        assert answer.status == 403
    await context.close()
