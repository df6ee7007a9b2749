"""Journey: a SENCo signs in and sees only their pupils (a pupil of another Leeds school is
neither listed nor reachable by its address), reads a pupil's referral and its timeline, and
their plan (read only; another school's pupil's plan is not reachable either), uploads the
school's educational advice (an empty form first) and sees it listed, and asks for an EHC
needs assessment for a pupil (a form sent empty first: each problem named), which the council
receives with its clock started that day. Every state is checked by
axe-core and for sideways scrolling at 320 px."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
from playwright.async_api import Page

from devtools.dev_identity_seed import LEEDS_SCHOOL_URN, OTHER_LEEDS_SCHOOL_URN
from shared.dates import london_today
from tests.documents import pdf
from tests.e2e.conftest import wait_for_timeline
from tests.e2e.test_journey import referral_body
from tests.e2e.web.conftest import (
    axe_violations,
    new_context,
    screenshot,
    scrolls_sideways,
    sign_in,
)


async def _checked(page: Page, name: str, axe_js: str) -> None:
    assert await axe_violations(page, axe_js) == [], name
    width = page.viewport_size
    await page.set_viewport_size({"width": 320, "height": 640})
    assert not await scrolls_sideways(page), f"{name} at 320 px"
    if width is not None:
        await page.set_viewport_size(width)
    await screenshot(page, f"school-{name}")


async def _referral(referrals_api: httpx.AsyncClient, urn: str) -> dict[str, Any]:
    body = referral_body()
    body["child"]["school_urn"] = urn
    created = await referrals_api.post("/v1/referrals", json=body)
    assert created.status_code == 201, created.text
    return {"id": created.json()["id"], **body["child"]}


async def test_a_senco_sees_only_their_pupils_uploads_advice_and_asks_for_an_assessment(
    browser: Any,
    browser_tools: dict[str, str],
    web_url: str,
    referrals_api: httpx.AsyncClient,
) -> None:
    axe = browser_tools["AXE_JS"]
    mine = await _referral(referrals_api, LEEDS_SCHOOL_URN)
    theirs = await _referral(referrals_api, OTHER_LEEDS_SCHOOL_URN)

    context = await new_context(browser)
    page = await context.new_page()
    try:
        await sign_in(page, web_url, "leeds-senco", then="/school")
        assert await page.locator("h1").inner_text() == "Your pupils"
        main = await page.inner_text("main")
        assert f"{mine['given_name']} {mine['family_name']}" in main
        assert theirs["given_name"] not in main
        assert theirs["id"][:8].upper() not in main
        await _checked(page, "pupils", axe)

        await page.get_by_role("link", name=f"{mine['given_name']} {mine['family_name']}").click()
        assert page.url == f"{web_url}/school/pupils/{mine['id']}"
        assert await page.locator("h1").inner_text() == f"Referral {mine['id'][:8].upper()}"
        timeline = await page.locator("ol.app-timeline").inner_text()
        assert "Received" in timeline
        assert await page.locator("main form").count() == 0  # read only
        await _checked(page, "pupil", axe)

        # The pupil's plan, read only, once plans has drafted it from the referral's event.
        await wait_for_timeline(referrals_api, mine["id"], ("plan_drafted",))
        await page.get_by_role("link", name="Read the pupil's plan").click()
        assert page.url == f"{web_url}/school/pupils/{mine['id']}/plan"
        assert await page.locator("h1").inner_text() == "Support plan"
        assert await page.locator("#section-B").count() == 1
        assert await page.locator("#section-F").count() == 1
        assert await page.locator("main form").count() == 0
        assert await page.get_by_role("link", name=re.compile("^Change")).count() == 0
        await _checked(page, "pupil-plan", axe)
        await page.get_by_role("link", name=f"Back to referral {mine['id'][:8].upper()}").click()

        # Their educational advice: an empty form first, then a PDF, listed on the pupil's page.
        await page.get_by_role("link", name="Upload educational advice").click()
        assert await page.locator("h1").inner_text() == "Upload educational advice"
        await page.get_by_role("button", name="Upload the file").click()  # no file
        assert (await page.title()).startswith("Error: ")
        assert "Select a file" in await page.locator(".govuk-error-summary").inner_text()
        await _checked(page, "advice-error", axe)
        assert await page.is_checked("input[name=kind][value=advice]")
        await page.set_input_files(
            "#file",
            {"name": "Educational advice.pdf", "mimeType": "application/pdf", "buffer": pdf()},
        )
        await page.get_by_role("button", name="Upload the file").click()
        await page.wait_for_url(f"{web_url}/school/pupils/{mine['id']}#documents")
        banner = await page.locator(".govuk-notification-banner").inner_text()
        assert "Educational advice.pdf was sent to the council" in banner
        listed = await page.locator("#documents + table").inner_text()
        assert "Educational advice.pdf" in listed
        assert "Advice" in listed
        await _checked(page, "advice-sent", axe)

        for address in (
            f"/school/pupils/{theirs['id']}",
            f"/school/pupils/{theirs['id']}/documents/upload",
            f"/school/pupils/{theirs['id']}/plan",
        ):
            missing = await page.goto(f"{web_url}{address}")
            assert missing is not None
            assert missing.status == 404, address
            assert theirs["given_name"] not in await page.inner_text("main")

        await page.goto(f"{web_url}/school")
        await page.get_by_role("button", name="Ask for support or an assessment").click()
        await page.get_by_role("button", name="Send the request").click()  # empty
        assert (await page.title()).startswith("Error: ")
        summary = page.locator(".govuk-error-summary")
        assert "Enter pupil's first name" in await summary.inner_text()
        await _checked(page, "request-errors", axe)

        asked = referral_body()["child"]
        born = london_today().replace(year=london_today().year - 7, day=1)
        await page.check("input[name=track][value=ehc]")
        await page.fill("#given_name", asked["given_name"])
        await page.fill("#family_name", asked["family_name"])
        await page.fill("#date_of_birth-day", str(born.day))
        await page.fill("#date_of_birth-month", str(born.month))
        await page.fill("#date_of_birth-year", str(born.year))
        await page.fill("#postcode", "LS6 2AB")
        await page.fill("#school_urn", LEEDS_SCHOOL_URN)
        await page.check("input[name=primary_need][value=SLCN]")
        await page.fill("#contact_name", "Ann Parent")
        await page.fill("#contact_email", "ann.parent@example.org")
        await page.get_by_role("button", name="Send the request").click()
        await page.wait_for_url(f"{web_url}/school")
        banner = await page.locator(".govuk-notification-banner").inner_text()
        assert "Your request for assessment was received" in banner
        reference = banner.rsplit(" ", 1)[-1].strip()
        assert f"{asked['given_name']} {asked['family_name']}" in await page.inner_text("main")
        await _checked(page, "request-received", axe)
    finally:
        await context.close()

    # The council has it, on the EHC track, its clock started the day it was received.
    found = await referrals_api.post("/v1/referrals/search", json={"text": reference})
    assert found.status_code == 200, found.text
    [row] = found.json()["items"]
    referral = (await referrals_api.get(f"/v1/referrals/{row['id']}")).json()
    assert referral["track"] == "ehc"
    assert referral["requested_by"] == "school"
    assert referral["received_on"] == london_today().isoformat()
    assert referral["ehc"]["deadlines"]


async def _draft_issued(referrals_api: httpx.AsyncClient) -> str:
    """An EHC request of 14 weeks ago, its draft plan issued today (as the steps' API takes
    them)."""
    today = london_today()
    start = today - timedelta(weeks=14)
    body = referral_body()
    body.update(track="ehc", received_on=str(start))
    created = await referrals_api.post("/v1/referrals", json=body)
    assert created.status_code == 201, created.text
    path = f"/v1/referrals/{created.json()['id']}"
    week5 = str(start + timedelta(weeks=5))
    for step, sent in (
        ("assessment-decision", {"decision": "assess", "decided_on": week5}),
        (
            "advice-requests",
            {
                "kinds": [
                    "parent",
                    "educational",
                    "educational_psychology",
                    "medical",
                    "social_care",
                ],
                "requested_on": week5,
            },
        ),
        ("advice-requests/educational_psychology/received", {"received_on": str(today)}),
        ("plan-decision", {"decision": "issue", "decided_on": str(today)}),
        ("draft-plan", {"issued_on": str(today)}),
    ):
        answer = await referrals_api.post(f"{path}/{step}", json=sent)
        assert answer.status_code == 200, (step, answer.text)
    return str(created.json()["id"])


async def test_a_caseworker_consults_a_school_and_its_senco_answers_within_15_days(
    browser: Any,
    browser_tools: dict[str, str],
    web_url: str,
    referrals_api: httpx.AsyncClient,
) -> None:
    axe = browser_tools["AXE_JS"]
    referral_id = await _draft_issued(referrals_api)
    reference = referral_id[:8].upper()
    due = london_today() + timedelta(days=15)

    context = await new_context(browser)
    page = await context.new_page()
    try:
        await sign_in(page, web_url, "leeds-caseworker", then=f"/referrals/{referral_id}")
        await page.get_by_role("link", name="Consult a school about naming it in the plan").click()
        await page.fill("#school_urn", LEEDS_SCHOOL_URN)
        await _checked(page, "consultation-step", axe)
        await page.get_by_role("button", name="Consult the school").click()
        await page.wait_for_url(f"{web_url}/referrals/{referral_id}")
        consulted = await page.locator("#consultations + ul").inner_text()
        assert f"School {LEEDS_SCHOOL_URN}" in consulted
        assert f"answer due by {due.day} {due:%B %Y}" in consulted
    finally:
        await context.close()

    # Another school's SENCo is not asked; this school's SENCo answers.
    other = await new_context(browser)
    page = await other.new_page()
    try:
        await sign_in(page, web_url, "leeds-senco-2", then="/school")
        assert reference not in await page.inner_text("main")
    finally:
        await other.close()
    context = await new_context(browser)
    page = await context.new_page()
    try:
        await sign_in(page, web_url, "leeds-senco", then="/school")
        await page.get_by_role("link", name=re.compile(f"Referral {reference}")).click()
        assert await page.locator("h1").inner_text() == "Answer the consultation"
        await page.check("input[name=answer][value=cannot_meet_needs]")
        await page.get_by_role("button", name="Send the answer").click()  # without a reason
        assert (await page.title()).startswith("Error: ")
        await _checked(page, "consultation-error", axe)
        await page.check("input[name=answer][value=cannot_meet_needs]")
        await page.fill("#reason", "Every class in the year group is full.")
        await page.get_by_role("button", name="Send the answer").click()
        await page.wait_for_url(f"{web_url}/school")
        assert f"Your answer about referral {reference}" in await page.inner_text("main")
        await _checked(page, "consultation-answered", axe)
    finally:
        await context.close()
    [answered] = (
        await referrals_api.get(f"/v1/referrals/{referral_id}/school-consultations")
    ).json()
    assert (answered["answer"], answered["reason"]) == (
        "cannot_meet_needs",
        "Every class in the year group is full.",
    )
