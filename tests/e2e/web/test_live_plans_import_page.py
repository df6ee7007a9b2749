"""A manager brings in plans in force through the workspace: a file with a bad row lists it by
line and column (each problem in the error summary linked to its row in the list below) and
brings in nothing; the corrected file brings both in; the same file again says they were
already brought in; a JSON file of 500 bad plans lists the first 50 and the count; the CSV
template is the documented header; a caseworker cannot reach the page."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from typing import Any
from uuid import uuid4

from playwright.async_api import Browser, FilePayload, Page, expect

from shared.dates import london_today
from tests.e2e.web.conftest import PHONE, axe_violations, new_context, screenshot, sign_in

LEEDS = "E08000035"
COLUMNS = ["case_id", "local_authority", "child_given_name", "child_family_name",
           "child_date_of_birth", "child_postcode", "contact_name", "contact_email", "needs",
           "issued_on", "last_reviewed_on", "setting_urn"]  # fmt: skip


def _plan(tag: str, n: int, **changes: str) -> dict[str, str]:
    today = london_today()
    row = {
        "case_id": f"LCC-{tag}-{n}",
        "local_authority": LEEDS,
        "child_given_name": f"Given{tag}{n}",
        "child_family_name": f"Family{tag}",
        "child_date_of_birth": "2015-03-04",
        "child_postcode": "LS6 2AB",
        "contact_name": "Ann Parent",
        "contact_email": "ann@example.org",
        "needs": "ASD SLCN",
        "issued_on": str(today - timedelta(days=400)),
        "last_reviewed_on": str(today - timedelta(days=30)),
        "setting_urn": "107958",
    }
    row.update(changes)
    return row


def _csv(*rows: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


async def _upload(page: Page, name: str, text: str, mime: str = "text/csv") -> None:
    upload: FilePayload = {"name": name, "mimeType": mime, "buffer": text.encode()}
    await page.set_input_files("#plans", files=[upload])
    await page.get_by_role("button", name="Bring in the plans").click()


async def test_a_manager_brings_in_a_file_after_correcting_its_bad_row(
    browser: Browser, web_url: str, browser_tools: dict[str, str]
) -> None:
    axe = browser_tools["AXE_JS"]
    tag = uuid4().hex[:6]
    good, bad = _plan(tag, 1), _plan(tag, 2, child_date_of_birth="04/03/2015")
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-manager", then="/caseload")
    await page.get_by_role("link", name="Bring in plans").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Bring in plans in force")
    assert await axe_violations(page, axe) == []

    await page.get_by_role("button", name="Bring in the plans").click()  # no file chosen
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Select a CSV or JSON file")
    await expect(page.locator("#plans-error")).to_contain_text("Select a CSV or JSON file")
    await _upload(page, "plans.txt", "hello")
    await expect(page.locator(".govuk-error-summary")).to_contain_text("must be a CSV or JSON")

    await _upload(page, "plans.csv", _csv(good, bad))
    summary = page.locator(".govuk-error-summary")
    link = summary.get_by_role("link", name="Line 3, column child_date_of_birth")
    await expect(link).to_have_attribute("href", "#problem-1")
    await expect(page.locator("#plans-error")).to_contain_text(
        "plans.csv has 1 problem: nothing was brought in"
    )
    row = page.locator("#problem-1")
    await expect(row.locator("td").nth(0)).to_have_text("Line 3")
    await expect(row.locator("td").nth(1)).to_have_text("child_date_of_birth")
    assert await axe_violations(page, axe) == []
    await screenshot(page, "live-plans-import-errors")
    await link.click()
    assert page.url.endswith("#problem-1")

    fixed = _csv(good, {**bad, "child_date_of_birth": "2015-03-04"})
    await _upload(page, "plans.csv", fixed)
    banner = page.locator(".govuk-notification-banner--success")
    # Both: the good row of the refused file was not kept, so it is brought in now.
    await expect(banner).to_contain_text("2 plans brought in from plans.csv")
    assert await axe_violations(page, axe) == []

    await _upload(page, "plans.csv", fixed)
    await expect(banner).to_contain_text(
        "All 2 plans in plans.csv were already brought in: nothing changed"
    )
    await context.close()


async def test_a_file_of_500_bad_plans_lists_the_first_50_and_says_how_many(
    browser: Browser, web_url: str, browser_tools: dict[str, str]
) -> None:
    tag = uuid4().hex[:6]
    plans: list[dict[str, Any]] = [
        {
            "case_id": f"LCC-{tag}-{n}",
            "local_authority": LEEDS,
            "child": {
                "given_name": f"Given{tag}{n}",
                "family_name": "Family",
                "date_of_birth": "2015-03-04",
                "postcode": "LS6 2AB",
            },
            "family_contact": {"name": "Ann Parent", "email": "ann@example.org"},
            "needs": ["NOT-A-NEED"],
            "issued_on": str(london_today() - timedelta(days=400)),
        }
        for n in range(500)
    ]
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-manager", then="/live-plans/import")
    await _upload(page, "plans.json", json.dumps({"plans": plans}), "application/json")
    summary = page.locator(".govuk-error-summary")
    first = summary.locator("a[href='#problem-1']")
    await expect(first).to_have_text(re.compile(r"^Plan 1, field needs"))
    await expect(summary.locator("a[href^='#problem-']")).to_have_count(50)
    await expect(page.locator("tbody tr")).to_have_count(50)
    await expect(summary).to_contain_text("And 450 more problems, not shown")
    await expect(page.locator("#plans-error")).to_contain_text("plans.json has 500 problems")
    await expect(page.locator("main")).to_contain_text("The file has 500 problems.")
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []
    await context.close()


async def test_the_template_is_the_documented_header_and_caseworkers_cannot_import(
    browser: Browser, web_url: str
) -> None:
    context = await new_context(browser, javascript=False)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-manager", then="/live-plans/import")
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Download the CSV template").click()
    download = await downloading.value
    assert download.suggested_filename == "live-plans-template.csv"
    got = await page.request.get(f"{web_url}/live-plans/template.csv?council={LEEDS}")
    assert got.headers["content-type"].startswith("text/csv")
    header = (await got.text()).strip().split(",")
    assert header[:3] == ["case_id", "local_authority", "child_given_name"]
    assert "review_meeting_on" in header
    await _upload(page, "plans.csv", "\n")  # the form works without JavaScript
    await expect(page.locator("#plans-error")).to_contain_text("The selected file is empty")
    await context.close()

    phone = await new_context(browser, viewport=PHONE)
    small = await phone.new_page()
    await sign_in(small, web_url, "leeds-caseworker", then="/caseload")
    answer = await small.goto(f"{web_url}/live-plans/import")
    assert answer is not None
    assert answer.status == 403
    await phone.close()
