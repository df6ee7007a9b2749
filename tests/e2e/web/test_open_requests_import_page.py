"""A manager brings in open requests (EHC needs assessments under way) through the workspace:
a file with a bad row names its line and column in the error summary and brings in nothing;
the corrected file brings each request in, listed by case id and linked to its referral, which
the caseload shows at the stage its steps reached; the same file again changes nothing; the
CSV template is the documented header for open requests; the page works without JavaScript
and a caseworker cannot reach it. axe-core finds nothing on each state of the page."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from uuid import uuid4

from playwright.async_api import Browser, FilePayload, Page, expect

from shared.dates import london_today
from tests.e2e.web.conftest import PHONE, axe_violations, new_context, screenshot, sign_in

LEEDS = "E08000035"
COLUMNS = ["case_id", "local_authority", "child_given_name", "child_family_name",
           "child_date_of_birth", "child_postcode", "contact_name", "contact_email",
           "requested_by", "received_on", "needs", "assessment_decision",
           "assessment_decided_on", "advice_kinds", "advice_requested_on"]  # fmt: skip
ADVICE = "parent educational medical educational_psychology social_care"


def _day(days_ago: int) -> str:
    return str(london_today() - timedelta(days=days_ago))


def _request(tag: str, n: int, **changes: str) -> dict[str, str]:
    row = {
        "case_id": f"LCC-OR-{tag}-{n}",
        "local_authority": LEEDS,
        "child_given_name": f"Given{tag}{n}",
        "child_family_name": f"Family{tag}",
        "child_date_of_birth": "2016-05-06",
        "child_postcode": "LS6 2AB",
        "contact_name": "Ann Parent",
        "contact_email": "ann@example.org",
        "requested_by": "parent",
        "received_on": _day(20),
        "needs": "SLCN",
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
    await page.set_input_files("#requests", files=[upload])
    await page.get_by_role("button", name="Bring in the open requests").click()


async def _stage_in_caseload(page: Page, web_url: str, name: str) -> str:
    await page.goto(f"{web_url}/caseload")
    await page.get_by_label("Search by reference, NHS number or name").fill(name)
    await page.get_by_role("button", name="Search", exact=True).click()
    row = page.locator("tbody tr", has=page.get_by_role("link", name=name))
    await expect(row).to_have_count(1)
    return (await row.locator("td").nth(3).inner_text()).strip()


async def test_a_manager_brings_in_open_requests_after_correcting_a_bad_row(
    browser: Browser, web_url: str, browser_tools: dict[str, str]
) -> None:
    axe = browser_tools["AXE_JS"]
    tag = uuid4().hex[:6]
    requested = _request(tag, 1)
    assessing = _request(
        tag, 2, received_on=_day(60), assessment_decision="assess",
        assessment_decided_on=_day(30), advice_kinds=ADVICE, advice_requested_on=_day(29),
    )  # fmt: skip
    decided_too_early = {**assessing, "assessment_decided_on": _day(61)}
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-manager", then="/caseload")
    await page.get_by_role("link", name="Bring in open requests").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Bring in open requests")
    assert await axe_violations(page, axe) == []

    await page.get_by_role("button", name="Bring in the open requests").click()  # no file
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Select a CSV or JSON file")
    await expect(page.locator("#requests-error")).to_contain_text("Select a CSV or JSON file")

    await _upload(page, "requests.csv", _csv(requested, decided_too_early))
    summary = page.locator(".govuk-error-summary")
    link = summary.get_by_role("link", name="Line 3, column assessment_decided_on")
    await expect(link).to_have_attribute("href", "#problem-1")
    await expect(page.locator("#requests-error")).to_contain_text(
        "requests.csv has 1 problem: nothing was brought in"
    )
    row = page.locator("#problem-1")
    await expect(row.locator("td").nth(0)).to_have_text("Line 3")
    await expect(row.locator("td").nth(1)).to_have_text("assessment_decided_on")
    assert await axe_violations(page, axe) == []
    await screenshot(page, "open-requests-import-errors")
    # Nothing was brought in: the good row of the refused file is not in the caseload.
    await page.goto(f"{web_url}/caseload")
    await page.get_by_label("Search by reference, NHS number or name").fill(f"Given{tag}1")
    await page.get_by_role("button", name="Search", exact=True).click()
    await expect(page.locator("main")).to_contain_text("No referrals match your search")

    await page.goto(f"{web_url}/live-plans/open-requests/import")
    await _upload(page, "requests.csv", _csv(requested, assessing))
    banner = page.locator(".govuk-notification-banner--success")
    await expect(banner).to_contain_text("2 open requests brought in from requests.csv")
    listed = page.locator("table tbody tr")
    await expect(listed).to_have_count(2)
    await expect(listed.nth(0)).to_contain_text("Brought in")
    first = page.get_by_role("link", name=f"LCC-OR-{tag}-1")
    await expect(first).to_have_attribute("href", re.compile(r"^/referrals/[0-9a-f-]{36}$"))
    assert await axe_violations(page, axe) == []
    await screenshot(page, "open-requests-import-brought-in")

    await page.get_by_role("link", name=f"LCC-OR-{tag}-2").click()
    await expect(page.locator("main")).to_contain_text("Assessing")
    assert await _stage_in_caseload(page, web_url, f"Given{tag}1 Family{tag}") == (
        "Assessment requested"
    )
    assert await _stage_in_caseload(page, web_url, f"Given{tag}2 Family{tag}") == "Assessing"

    await page.goto(f"{web_url}/live-plans/open-requests/import")
    await _upload(page, "requests.csv", _csv(requested, assessing))
    await expect(banner).to_contain_text(
        "All 2 open requests in requests.csv were already brought in: nothing changed"
    )
    await expect(listed.nth(1)).to_contain_text("Already brought in, left as it was")
    assert await axe_violations(page, axe) == []
    await context.close()


async def test_the_template_is_the_open_requests_header_and_caseworkers_cannot_import(
    browser: Browser, web_url: str
) -> None:
    context = await new_context(browser, javascript=False)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-manager", then="/live-plans/import")
    await page.locator("main").get_by_role("link", name="bring in open requests").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Bring in open requests")
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Download the CSV template for open requests").click()
    download = await downloading.value
    assert download.suggested_filename == "open-requests-template.csv"
    got = await page.request.get(f"{web_url}/live-plans/open-requests/template.csv?council={LEEDS}")
    assert got.headers["content-type"].startswith("text/csv")
    header = (await got.text()).strip().split(",")
    assert header[:3] == ["case_id", "local_authority", "child_given_name"]
    assert {"requested_by", "received_on", "draft_issued_on"} <= set(header)
    await _upload(page, "requests.csv", "\n")  # the form works without JavaScript
    await expect(page.locator("#requests-error")).to_contain_text("The selected file is empty")
    await context.close()

    phone = await new_context(browser, viewport=PHONE)
    small = await phone.new_page()
    await sign_in(small, web_url, "leeds-caseworker", then="/caseload")
    await expect(small.get_by_role("link", name="Bring in open requests")).to_have_count(0)
    for path in ("/live-plans/open-requests/import", "/live-plans/open-requests/template.csv"):
        answer = await small.goto(f"{web_url}{path}")
        assert answer is not None
        assert answer.status == 403, path
    await phone.close()


async def test_a_json_file_of_101_requests_lists_the_first_100_after_naming_a_bad_one(
    browser: Browser, web_url: str, browser_tools: dict[str, str]
) -> None:
    tag = uuid4().hex[:6]
    items = [
        {
            "case_id": f"LCC-OR-{tag}-{n}",
            "local_authority": LEEDS,
            "child": {
                "given_name": f"Given{tag}{n}",
                "family_name": f"Family{tag}",
                "date_of_birth": "2016-05-06",
                "postcode": "LS6 2AB",
            },
            "family_contact": {"name": "Ann Parent", "email": "ann@example.org"},
            "requested_by": "parent",
            "received_on": _day(10),
            "needs": ["SLCN"],
        }
        for n in range(101)
    ]
    bad = [*items[:100], {**items[100], "needs": ["NOT-A-NEED"]}]
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-manager", then="/live-plans/open-requests/import")
    await _upload(page, "requests.json", json.dumps({"requests": bad}), "application/json")
    summary = page.locator(".govuk-error-summary")
    await expect(summary.locator("a[href='#problem-1']")).to_have_text(
        re.compile(r"^Request 101, field needs")
    )
    await expect(page.locator("#requests-error")).to_contain_text("requests.json has 1 problem")

    await _upload(page, "requests.json", json.dumps({"requests": items}), "application/json")
    banner = page.locator(".govuk-notification-banner--success")
    await expect(banner).to_contain_text("101 open requests brought in from requests.json")
    await expect(page.locator("table tbody tr")).to_have_count(100)
    await expect(page.locator("main")).to_contain_text(
        "The first 100 requests in the file are listed. 1 more is in the caseload."
    )
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []
    await context.close()
