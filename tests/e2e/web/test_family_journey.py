"""Journey 5: a parent opens the link in the message they were sent (the local GOV.UK Notify's
inbox) on a phone, reads where things stand, reads the plan once the caseworker shares it,
and comments: the comment is stored with the plan's version. Every state of the family's pages
(where things stand, the plan being prepared, the plan, a comment with an error, the comment
received, a withdrawn link, a session without a link) is checked by axe-core and for sideways
scrolling at 320 px, and the journey is made with the keyboard alone. A parent reads the letters
the council stored for them from where things stand (and none of the council's evidence)."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import Browser, Page

from scripts.platform import Platform
from tests import documents
from tests.e2e.conftest import wait_for_timeline
from tests.e2e.test_journey import referral_body
from tests.e2e.web.conftest import (
    PHONE,
    axe_violations,
    new_context,
    screenshot,
    scrolls_sideways,
)

COMMENT = "We are happy with the plan. Thank you for listening to us."


async def _link_in_message(platform: Platform, caseworker: dict[str, str], referral_id: str) -> str:
    """The link in the family's first message, as Notify delivered it."""
    async with httpx.AsyncClient(timeout=10, headers=caseworker) as client:
        url = f"{platform.url('notifications')}/v1/referrals/{referral_id}/notifications"
        alerts = {a["template"]: a for a in (await client.get(url)).json()}
    inbox = platform.local_notify.inbox()  # type: ignore[attr-defined]  # set by the fixture
    [message] = [m for m in inbox if m["reference"] == alerts["request-received"]["id"]]
    [link] = re.findall(r"https?://\S+/family/[\w.-]+", str(message["body"]))
    return str(link)


async def _tab_to(page: Page, selector: str) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user does."""
    for _ in range(200):
        await page.keyboard.press("Tab")
        if await page.evaluate(
            "s => !!document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
    pytest.fail(f"{selector} cannot be reached with the Tab key")


async def _checked(page: Page, name: str, axe_js: str) -> None:
    """The page as it is now passes axe-core, and reads without scrolling sideways on a 375
    px phone and at 320 px."""
    assert await axe_violations(page, axe_js) == [], name
    assert not await scrolls_sideways(page), name
    await page.set_viewport_size({"width": 320, "height": 640})
    assert not await scrolls_sideways(page), f"{name} at 320 px"
    await page.set_viewport_size(PHONE)
    await screenshot(page, f"family-{name}")


async def test_a_parent_opens_the_link_in_their_message_reads_the_plan_and_comments(
    browser: Browser,
    browser_tools: dict[str, str],
    web_url: str,
    platform: Platform,
    referrals_api: httpx.AsyncClient,
    caseworker: dict[str, str],
) -> None:
    axe = browser_tools["AXE_JS"]
    created = await referrals_api.post("/v1/referrals", json=referral_body())
    assert created.status_code == 201, created.text
    referral_id = created.json()["id"]
    reference = referral_id[:8].upper()
    await wait_for_timeline(referrals_api, referral_id)
    link = await _link_in_message(platform, caseworker, referral_id)
    assert link.startswith(f"{web_url}/family/")

    context = await new_context(browser, viewport=PHONE)
    page = await context.new_page()
    try:
        # Where things stand: the link leaves the address bar (the session keeps it).
        response = await page.goto(link)
        assert response is not None
        assert response.status == 200
        assert page.url == f"{web_url}/family"
        assert await page.locator("h1").inner_text() == "Where things stand"
        main = await page.inner_text("main")
        for said in (
            f"Your reference {reference}",
            "We received the request for support",
            "A support plan was drafted for your child",
            "A specialist was matched to support your child",
            "The specialist will contact you to arrange a first session.",
            "Leeds City Council",
        ):
            assert said in main, said
        assert "message" not in main.lower()  # messages are not steps
        await _checked(page, "status", axe)

        # The plan, by keyboard: being prepared until the caseworker shares it.
        await _tab_to(page, "a[href='/family/plan']")
        focused = await page.evaluate("getComputedStyle(document.activeElement).backgroundColor")
        assert focused == "rgb(255, 221, 0)"  # GOV.UK's focus state: visible
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        assert page.url == f"{web_url}/family/plan"
        assert await page.locator("h1").inner_text() == "Your child's plan is being prepared"
        await _checked(page, "plan-being-prepared", axe)

        async with httpx.AsyncClient(
            base_url=platform.url("plans"), timeout=10, headers=caseworker
        ) as plans:
            shared = await plans.post(f"/v1/referrals/{referral_id}/plan/share", json={})
            assert shared.status_code == 200, shared.text
            version = shared.json()["version"]
            await page.reload()
            assert await page.locator("h1").inner_text() == "Your child's support plan"
            headings = await page.locator("h2").all_inner_texts()
            for section in ("What your child finds hard", "The help your child will get"):
                assert section in headings, headings
            await _checked(page, "plan", axe)

            # A comment sent empty: the error summary names it and links to the field.
            await _tab_to(page, "button.govuk-button")
            async with page.expect_navigation():
                await page.keyboard.press("Enter")
            assert (await page.title()).startswith("Error: ")
            summary = page.locator(".govuk-error-summary a[href='#comments']")
            assert await summary.inner_text() == "Enter your comments"
            await _checked(page, "comment-error", axe)

            # Then written, agreed and sent, with the keyboard alone.
            await _tab_to(page, "#comments")
            await page.keyboard.type(COMMENT)
            await _tab_to(page, "#agree")
            await page.keyboard.press("Space")
            await _tab_to(page, "button.govuk-button")
            async with page.expect_navigation():
                await page.keyboard.press("Enter")
            assert page.url == f"{web_url}/family/plan"
            banner = await page.locator(".govuk-notification-banner").inner_text()
            assert "We have received your comments" in banner
            assert await page.locator("textarea").count() == 0  # agreed: no more comments
            await _checked(page, "comment-received", axe)

            # Stored in plans with the version the parent read.
            about = await plans.get(f"/v1/referrals/{referral_id}/plan/versions/{version}")
            assert about.status_code == 200, about.text
            assert [(c["comments"], c["agreed"]) for c in about.json()["family_comments"]] == [
                (COMMENT, True)
            ]

        # A program asking for JSON gets referrals' family view, as before the workspace.
        async with httpx.AsyncClient(timeout=10) as client:
            as_json = await client.get(link, headers={"Accept": "application/json"})
        assert as_json.status_code == 200
        assert as_json.json()["reference"] == reference

        # The caseworker withdraws the family's links: the page says so, and forgets it.
        withdrawn = await referrals_api.post(f"/v1/referrals/{referral_id}/family-link/revoke")
        assert withdrawn.status_code == 204
        response = await page.goto(f"{web_url}/family")
        assert response is not None
        assert response.status == 401
        assert await page.locator("h1").inner_text() == "This link no longer works"
        await _checked(page, "link-refused", axe)
        response = await page.goto(f"{web_url}/family")
        assert response is not None
        assert response.status == 401
        assert await page.locator("h1").inner_text() == "Open the link in your message again"
        await _checked(page, "open-again", axe)
    finally:
        await context.close()


async def test_a_parent_reads_the_letters_the_council_stored_for_them_and_nothing_else(
    browser: Browser,
    browser_tools: dict[str, str],
    web_url: str,
    platform: Platform,
    referrals_api: httpx.AsyncClient,
    caseworker: dict[str, str],
) -> None:
    created = await referrals_api.post("/v1/referrals", json=referral_body())
    assert created.status_code == 201, created.text
    referral_id = created.json()["id"]
    for kind, name, content in (
        ("letter", "Decision letter.pdf", documents.pdf("decision")),
        ("evidence", "Nursery report.pdf", documents.pdf("nursery")),
    ):
        sent = await referrals_api.post(
            f"/v1/referrals/{referral_id}/documents",
            files={"file": (name, content, "application/pdf")},
            data={"kind": kind},
        )
        assert sent.status_code == 201, sent.text
    await wait_for_timeline(referrals_api, referral_id)
    link = await _link_in_message(platform, caseworker, referral_id)

    context = await new_context(browser, viewport=PHONE)
    page = await context.new_page()
    try:
        await page.goto(link)
        listed = await page.locator("#documents + ul").inner_text()
        assert "Letter: Decision letter.pdf" in listed
        assert "Nursery report" not in await page.inner_text("main")  # the council's evidence
        await _checked(page, "status-with-letters", browser_tools["AXE_JS"])
        async with page.expect_download() as downloading:
            await page.get_by_role("link", name=re.compile("Decision letter")).click()
        saved = await (await downloading.value).path()
        assert saved.read_bytes() == documents.pdf("decision")
    finally:
        await context.close()


async def test_the_accessibility_statement_reads_on_a_phone_and_passes_axe(
    browser: Browser, browser_tools: dict[str, str], web_url: str
) -> None:
    axe = browser_tools["AXE_JS"]
    context = await new_context(browser, viewport=PHONE)
    page = await context.new_page()
    try:
        response = await page.goto(f"{web_url}/accessibility")
        assert response is not None
        assert response.status == 200
        headings = await page.locator("h2, h3").all_inner_texts()
        for section in (
            "How accessible this service is",
            "Reporting accessibility problems with this service",
            "Enforcement procedure",
            "Compliance status",
            "Non-accessible content",
            "How we tested this service",
        ):
            assert section in headings, section
        assert "Leeds City Council" in await page.inner_text("main")
        await _checked(page, "accessibility", axe)
    finally:
        await context.close()
