"""The reports page: a manager sees a past year's SEN2 timeliness figures (seeded through the
referrals API: a plan on time, one late with an exception, a refusal, a request still open),
the chart drawn as SVG with the same figures in its description and a table, and the
capacity report; a year with nothing; a year that is not offered; a caseworker gets 403."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import httpx
from playwright.async_api import Browser, expect

from tests.e2e.web.conftest import (
    PHONE,
    axe_violations,
    new_context,
    screenshot,
    scrolls_sideways,
    sign_in,
)

EVERY_CHILDS_ADVICE = ["parent", "educational", "educational_psychology", "medical", "social_care"]


async def _ehc_request(
    api: httpx.AsyncClient, received: date, born: str, *steps: tuple[str, dict[str, Any]]
) -> str:
    created = await api.post(
        "/v1/referrals",
        headers={"Idempotency-Key": str(uuid4())},
        json={
            "local_authority": "E08000035",
            "track": "ehc",
            "requested_by": "parent",
            "primary_need": "SLCN",
            "received_on": received.isoformat(),
            "child": {
                "given_name": "Priya",
                "family_name": "Shah",
                "date_of_birth": born,
                "postcode": "LS7 3AB",
            },
            "family_contact": {"name": "Anil Shah", "email": "anil@example.org"},
        },
    )
    assert created.status_code == 201, created.text
    referral_id: str = created.json()["id"]
    for step, body in steps:
        answer = await api.post(
            f"/v1/referrals/{referral_id}/{step}",
            json=body,
            headers={"Idempotency-Key": str(uuid4())},
        )
        assert answer.status_code in (200, 201), (step, answer.text)
    return referral_id


def _to_final_plan(received: date, final: date) -> list[tuple[str, dict[str, Any]]]:
    decided = received + timedelta(weeks=5)
    return [
        ("assessment-decision", {"decision": "assess", "decided_on": str(decided)}),
        ("advice-requests", {"kinds": EVERY_CHILDS_ADVICE, "requested_on": str(decided)}),
        ("plan-decision", {"decision": "issue", "decided_on": str(decided + timedelta(7))}),
        ("draft-plan", {"issued_on": str(decided + timedelta(14))}),
        ("final-plan", {"issued_on": str(final)}),
    ]


async def test_a_manager_reads_a_years_timeliness_with_its_chart_and_the_capacity(
    browser: Browser,
    web_url: str,
    referrals_api: httpx.AsyncClient,
    browser_tools: dict[str, str],
    today: date,
) -> None:
    year = today.year - 2  # a past year
    jan = date(year, 1, 8)
    await _ehc_request(
        referrals_api, jan, "2016-01-01", *_to_final_plan(jan, jan + timedelta(weeks=19))
    )
    late = [
        (
            "exceptions",
            {
                "kind": "personal_circumstances",
                "starts_on": str(jan + timedelta(days=2)),
                "ends_on": str(jan + timedelta(days=40)),
                "reason": "A long stay in hospital",
            },
        ),
        *_to_final_plan(jan, jan + timedelta(weeks=23)),
    ]
    await _ehc_request(referrals_api, jan, "2016-01-02", *late)
    march = date(year, 3, 1)
    refusal = {
        "decision": "refuse",
        "decided_on": str(march + timedelta(weeks=4)),
        "reason": "needs_met_from_available_provision",
    }
    await _ehc_request(referrals_api, march, "2016-01-03", ("assessment-decision", refusal))
    await _ehc_request(referrals_api, date(year, 11, 2), "2016-01-04")  # 8 weeks at the year's end

    axe = browser_tools["AXE_JS"]
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-manager", then="/reports")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    await page.select_option("#year", str(year))
    await page.get_by_role("button", name="Show the reports").click()
    assert f"year={year}" in page.url

    figures = page.locator(".govuk-summary-list")
    for key, value in (
        ("Requests for an EHC needs assessment", "4"),
        ("Refused an assessment", "1"),
        ("New EHC plans issued", "2"),
        ("Issued within 20 weeks, including exceptions", "1 of 2 (50.0%)"),
        ("Issued within 20 weeks, excluding exceptions", "1 of 1 (100.0%)"),
    ):
        row = figures.locator(".govuk-summary-list__row").filter(has_text=key)
        await expect(row.locator(".govuk-summary-list__value")).to_have_text(value)

    share = page.locator("svg#share-chart, svg[aria-labelledby^='share-chart']")
    await expect(share.locator("desc")).to_contain_text("Including exceptions: 50.0%")
    await expect(share.locator("desc")).to_contain_text("Excluding exceptions: 100.0%")
    bars = share.locator("rect.app-chart__bar")
    widths = [float(await bars.nth(n).get_attribute("width") or 0) for n in range(2)]
    assert abs(widths[1] - 2 * widths[0]) < 0.5  # 100% is twice 50%

    opened = page.locator("svg[aria-labelledby^='open-chart']")
    await expect(opened.locator("title")).to_contain_text(f"31 December {year}")
    await expect(opened.locator("desc")).to_contain_text("6 to 15 weeks: 1")
    row = page.get_by_role("row", name="6 to 15 weeks")
    await expect(row).to_contain_text("1")
    await expect(page.get_by_role("heading", name="Specialists' capacity")).to_be_visible()
    assert await axe_violations(page, axe) == []
    await screenshot(page, "reports")

    await page.select_option("#year", "2015")
    await page.get_by_role("button", name="Show the reports").click()
    row = figures.locator(".govuk-summary-list__row").filter(has_text="New EHC plans issued")
    await expect(row.locator(".govuk-summary-list__value")).to_have_text("0")
    await expect(page.get_by_text("No requests were open on 31 December 2015.")).to_be_visible()
    assert await page.locator("svg.app-chart").count() == 0
    assert await axe_violations(page, axe) == []

    answer = await page.goto(f"{web_url}/reports?year=1999")
    assert answer is not None
    assert answer.status == 422
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Select a year from 2014")
    await expect(page.locator("#year-error")).to_contain_text("Select a year from 2014")
    assert await axe_violations(page, axe) == []

    other = await page.goto(f"{web_url}/reports?council=E08000032&year={year}")
    assert other is not None
    assert other.status == 404  # Bradford's reports are not Leeds's manager's to see
    await context.close()

    phone = await new_context(browser, viewport={"width": 320, "height": 640})
    small = await phone.new_page()
    await sign_in(small, web_url, "leeds-manager", then=f"/reports?year={year}")
    assert not await scrolls_sideways(small)
    await phone.close()


async def test_a_caseworker_cannot_see_the_reports(browser: Browser, web_url: str) -> None:
    context = await new_context(browser, viewport=PHONE)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then="/caseload")
    response = await page.goto(f"{web_url}/reports")
    assert response is not None
    assert response.status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text("You cannot see this page")
    await context.close()
