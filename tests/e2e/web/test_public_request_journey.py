"""Journey 6: a parent asks for an EHC needs assessment on a 375 px phone, with no account: a
question a page (a file of evidence among them: a renamed program refused, a PDF sent), "check
your answers", the confirmation with the reference; the link in the
message they are sent (the local GOV.UK Notify's inbox) confirms the request; the caseworker
then sees the child in the caseload, the statutory clock running from the day the request was
received, and the evidence with the referral. Every state of every new page (empty, with an
error, answered) is checked by axe-core and for sideways scrolling at 375 and 320 px."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from uuid import uuid4

import httpx
from playwright.async_api import Browser, Page

from scripts.platform import Platform
from shared.dates import london_today
from tests import documents
from tests.e2e.web.conftest import (
    PHONE,
    axe_violations,
    new_context,
    screenshot,
    scrolls_sideways,
    sign_in,
)


async def checked(page: Page, name: str, axe_js: str) -> None:
    """The page as it is now passes axe-core, and reads without scrolling sideways on a 375
    px phone and at 320 px."""
    assert await axe_violations(page, axe_js) == [], name
    assert not await scrolls_sideways(page), name
    await page.set_viewport_size({"width": 320, "height": 640})
    assert not await scrolls_sideways(page), f"{name} at 320 px"
    await page.set_viewport_size(PHONE)
    await screenshot(page, f"request-{name}")


async def answer(page: Page, heading: str, axe_js: str, fill: dict[str, str]) -> None:
    """On the page asking ``heading``: checked, answered (a label to check, or a field's id
    to fill), continued."""
    assert await page.locator("h1").inner_text() == heading
    await checked(page, heading.split()[2] if len(heading.split()) > 2 else heading, axe_js)
    for target, value in fill.items():
        if value == "check":
            await page.get_by_label(target, exact=True).check()
        else:
            await page.fill(f"#{target}", value)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Continue").click()


async def link_in_message(platform: Platform, email: str) -> str:
    """The link in the message sent to ``email``, once the local Notify has it."""
    for _ in range(300):
        inbox = platform.local_notify.inbox()  # type: ignore[attr-defined]  # set by the fixture
        for message in inbox:
            if message.get("email_address") == email:
                [link] = re.findall(r"https?://\S+/family/confirm/[\w.-]+", str(message["body"]))
                return str(link)
        await asyncio.sleep(0.1)  # waiting for a condition: the message's delivery
    raise AssertionError(f"no message to {email}")


async def test_a_parent_asks_on_a_phone_confirms_by_link_and_the_caseworker_sees_the_clock(
    browser: Browser, browser_tools: dict[str, str], web_url: str, platform: Platform
) -> None:
    axe = browser_tools["AXE_JS"]
    marker = uuid4().hex[:6]
    given, family, email = f"Rhiannon{marker}", "Okafor", f"parent-{marker}@example.org"
    today = london_today()
    context = await new_context(browser, viewport=PHONE)
    page = await context.new_page()
    try:
        response = await page.goto(f"{web_url}/request")
        assert response is not None
        assert response.status == 200
        await checked(page, "start", axe)
        async with page.expect_navigation():
            await page.get_by_role("button", name="Start now").click()

        # A page sent unanswered: the error summary names the question and links to it.
        async with page.expect_navigation():
            await page.get_by_role("button", name="Continue").click()
        assert (await page.title()).startswith("Error: ")
        summary = page.locator(".govuk-error-summary a[href='#requested_by']")
        assert await summary.inner_text() == "Select who is asking"
        await checked(page, "who-error", axe)

        await answer(page, "Who is asking for help?", axe,
                     {"I am the child's parent or carer": "check"})  # fmt: skip
        await answer(page, "Which council area does the child or young person live in?", axe,
                     {"Leeds City Council": "check"})  # fmt: skip
        await answer(page, "What are you asking for?", axe,
                     {"An education, health and care (EHC) needs assessment": "check"})  # fmt: skip
        await answer(page, "What is the child or young person's name?", axe,
                     {"given_name": given, "family_name": family})  # fmt: skip
        await answer(page, "What is their date of birth?", axe,
                     {"date_of_birth-day": "1", "date_of_birth-month": "5",
                      "date_of_birth-year": "2018"})  # fmt: skip
        await answer(page, "What is their home postcode?", axe, {"postcode": "LS6 2AB"})
        await answer(page, "What is their NHS number?", axe, {})  # optional: left empty
        await answer(page, "What do they find hardest?", axe,
                     {"Speaking, listening or understanding": "check"})  # fmt: skip
        said = "She finds it hard to follow what is said in class."
        await answer(page, "Tell us about their difficulties", axe, {"difficulties": said})
        # Evidence (optional): a file that is not what its name says is refused on the page;
        # a real PDF is sent at once and listed; then on.
        assert await page.locator("h1").inner_text() == "Upload evidence (optional)"
        await checked(page, "evidence", axe)
        await page.set_input_files(
            "#file", {"name": "report.pdf", "mimeType": "application/pdf",
                      "buffer": documents.windows_program()})  # fmt: skip
        async with page.expect_navigation():
            await page.get_by_role("button", name="Continue").click()
        assert (await page.title()).startswith("Error: ")
        assert await page.locator(".govuk-error-summary a").get_attribute("href") == "#file"
        await checked(page, "evidence-error", axe)
        await page.set_input_files(
            "#file", {"name": "Nursery report.pdf", "mimeType": "application/pdf",
                      "buffer": documents.pdf(f"nursery {marker}")})  # fmt: skip
        async with page.expect_navigation():
            await page.get_by_role("button", name="Continue").click()
        await answer(page, "What is your name?", axe, {"contact_name": "Ada Okafor"})
        await answer(page, "How should we contact you?", axe, {"Email": "check"})
        await answer(page, "What is your email address?", axe, {"email": email})

        # Check your answers: each answer with a way to change it, then sent.
        assert page.url == f"{web_url}/request/check"
        rows = await page.locator(".govuk-summary-list__row").all_inner_texts()
        assert any(given in r and family in r for r in rows), rows
        assert any("1 May 2018" in r for r in rows), rows
        assert any("Evidence" in r and "Nursery report.pdf" in r for r in rows), rows
        assert await page.locator("a:has-text('Change')").count() == len(rows)
        assert await page.locator("input[name='website']").is_hidden()  # the honeypot
        await checked(page, "check-answers", axe)
        async with page.expect_navigation():
            await page.get_by_role("button", name="Accept and send").click()

        assert page.url == f"{web_url}/request/sent"
        panel = await page.locator(".govuk-panel").inner_text()
        reference = panel.split()[-1]
        assert re.fullmatch(r"[0-9A-F]{8}", reference), panel
        main = await page.inner_text("main")
        assert f"We received your request on {today.day} {today:%B %Y}" in main
        assert email in main
        await checked(page, "sent", axe)

        # The link in the message: opened, it leaves the address bar; Confirm takes it in.
        link = await link_in_message(platform, email)
        assert reference in str(
            [m["body"] for m in platform.local_notify.inbox() if m.get("email_address") == email]  # type: ignore[attr-defined]
        )
        await page.goto(link)
        assert page.url == f"{web_url}/request/confirm"
        assert await page.locator("h1").inner_text() == "Confirm your request"
        await checked(page, "confirm", axe)
        async with page.expect_navigation():
            await page.get_by_role("button", name="Confirm").click()
        assert await page.locator(".govuk-panel__title").inner_text() == "Request confirmed"
        assert reference in await page.locator(".govuk-panel").inner_text()
        await checked(page, "confirmed", axe)

        # The link again, once used: still "confirmed" (nothing happens twice).
        await page.goto(link)
        async with page.expect_navigation():
            await page.get_by_role("button", name="Confirm").click()
        assert await page.locator(".govuk-panel__title").inner_text() == "Request confirmed"

        # A link that is not one: refused, in words, once Confirm sends it to referrals.
        await page.goto(f"{web_url}/family/confirm/not-a-link")
        async with page.expect_navigation() as refused:
            await page.get_by_role("button", name="Confirm").click()
        assert (await refused.value).status == 401
        assert await page.locator("h1").inner_text() == "This link does not work"
        await checked(page, "link-refused", axe)
    finally:
        await context.close()

    # The caseworker finds the child in the caseload, the decision due 6 weeks from today.
    staff = await new_context(browser)
    page = await staff.new_page()
    try:
        await sign_in(page, web_url, "leeds-caseworker", then="/caseload")
        await page.fill("#text", reference)
        async with page.expect_navigation():
            await page.get_by_role("button", name="Search").click()
        row = page.locator("tr", has_text=given)
        assert await row.count() == 1
        due = today + timedelta(weeks=6)
        assert f"{due.day} {due:%B %Y}" in await row.inner_text()
        async with page.expect_navigation():
            await row.locator("a").click()
        main = await page.inner_text("main")
        assert f"{today.day} {today:%B %Y}" in main
        assert "Nursery report.pdf" in main  # the evidence sent with it, the referral's now
    finally:
        await staff.close()


async def test_a_caseworker_confirms_a_request_by_phone_and_it_becomes_a_referral(
    browser: Browser, browser_tools: dict[str, str], web_url: str, platform: Platform
) -> None:
    """A family who cannot use the link rings the council: the caseworker finds the request
    among those made online and confirms it; it is a referral dated the day received."""
    axe = browser_tools["AXE_JS"]
    marker = uuid4().hex[:6]
    async with httpx.AsyncClient(base_url=platform.url("referrals"), timeout=10) as public:
        made = await public.post(
            "/v1/public/requests",
            json={
                "local_authority": "E08000035",
                "requested_by": "parent",
                "track": "support",
                "primary_need": "SEMH",
                "child": {
                    "given_name": f"Tomos{marker}",
                    "family_name": "Evans",
                    "date_of_birth": "2016-02-03",
                    "postcode": "LS7 3AA",
                },
                "family_contact": {"name": "Gwen Evans", "email": f"gwen-{marker}@example.org"},
            },
        )
    assert made.status_code == 201, made.text
    reference = made.json()["reference"]
    context = await new_context(browser)
    page = await context.new_page()
    try:
        await sign_in(page, web_url, "leeds-caseworker", then="/caseload")
        async with page.expect_navigation():
            await page.get_by_role("link", name="Requests made online").click()
        assert page.url == f"{web_url}/caseload/requests"
        row = page.locator("tr", has_text=reference)
        assert "Not confirmed" in await row.inner_text()
        assert f"Tomos{marker} Evans" in await row.inner_text()
        button = await row.locator("button").inner_text()
        assert button.startswith("Confirmed by phone"), button
        assert button.endswith(f"request {reference}"), button  # read out: which request
        await checked(page, "casework", axe)
        async with page.expect_navigation():
            await row.locator("button").click()
        banner = await page.locator(".govuk-notification-banner").inner_text()
        assert f"Request {reference} was confirmed" in banner
        assert await page.locator("tr", has_text=reference).count() == 0  # taken in
        await checked(page, "casework-confirmed", axe)
        await page.goto(f"{web_url}/caseload")
        await page.fill("#text", reference)
        async with page.expect_navigation():
            await page.get_by_role("button", name="Search").click()
        assert await page.locator("tr", has_text=f"Tomos{marker}").count() == 1
    finally:
        await context.close()


async def messages_to(platform: Platform, email: str, count: int) -> list[dict[str, object]]:
    """The first ``count`` messages sent to ``email``, once the local Notify has them."""
    for _ in range(300):
        inbox = platform.local_notify.inbox()  # type: ignore[attr-defined]  # set by the fixture
        found = [m for m in inbox if m.get("email_address") == email]
        if len(found) >= count:
            return found[:count]
        await asyncio.sleep(0.1)  # waiting for a condition: the messages' delivery
    raise AssertionError(f"fewer than {count} messages to {email}")


async def message_saying(platform: Platform, email: str, words: str) -> dict[str, object]:
    """The first message to ``email`` that says ``words``, once the local Notify has it (the
    news of a request and of a match travel apart: either may come first)."""
    for _ in range(300):
        inbox = platform.local_notify.inbox()  # type: ignore[attr-defined]  # set by the fixture
        found = [m for m in inbox if m.get("email_address") == email and words in str(m["body"])]
        if found:
            first: dict[str, object] = found[0]
            return first
        await asyncio.sleep(0.1)  # waiting for a condition: the message's delivery
    raise AssertionError(f"no message to {email} saying {words!r}")


async def test_a_17_year_old_asks_for_themselves_and_the_messages_go_to_them(
    browser: Browser,
    browser_tools: dict[str, str],
    web_url: str,
    platform: Platform,
    caseworker: dict[str, str],
) -> None:
    """s83: over compulsory school age, the young person asks, says whether we may share
    what they tell us, and is the contact: the link to confirm and the news after it go to
    them, in words to them ("you"), not to a parent about "your child". Later assessed as
    lacking capacity, the caseworker records their representative, who gets the next message,
    about "the young person" (s80). The referral's page says who decides, the consent to
    sharing and the representative."""
    axe = browser_tools["AXE_JS"]
    marker = uuid4().hex[:6]
    email = f"young-{marker}@example.org"
    today = london_today()
    context = await new_context(browser, viewport=PHONE)
    page = await context.new_page()
    try:
        await page.goto(f"{web_url}/request/who")
        await answer(page, "Who is asking for help?", axe,
                     {"I am a young person asking for myself (16 to 25)": "check"})  # fmt: skip
        await answer(page, "Which council area does the child or young person live in?", axe,
                     {"Leeds City Council": "check"})  # fmt: skip
        await answer(page, "What are you asking for?", axe,
                     {"Help and support for the child or young person": "check"})  # fmt: skip
        await answer(page, "What is the child or young person's name?", axe,
                     {"given_name": f"Seren{marker}", "family_name": "Jones"})  # fmt: skip
        await answer(page, "What is their date of birth?", axe,
                     {"date_of_birth-day": "10", "date_of_birth-month": "1",
                      "date_of_birth-year": str(today.year - 17)})  # fmt: skip
        await answer(page, "What is their home postcode?", axe, {"postcode": "LS8 1AA"})
        await answer(page, "What is their NHS number?", axe, {})
        await answer(page, "What do they find hardest?", axe,
                     {"Feelings, behaviour or mental health": "check"})  # fmt: skip
        await answer(page, "Tell us about their difficulties", axe, {})
        await answer(page, "Upload evidence (optional)", axe, {})  # nothing to send
        # Their own decision (s83): a page only a young person is asked.
        async with page.expect_navigation():
            await page.get_by_role("button", name="Continue").click()
        assert (await page.title()).startswith("Error: ")
        await checked(page, "sharing-error", axe)
        await answer(page, "Can we share what you tell us with the people who help you?", axe,
                     {"Yes, you can share it with the people who help me": "check"})  # fmt: skip
        await answer(page, "What is your name?", axe, {"contact_name": f"Seren{marker} Jones"})
        await answer(page, "How should we contact you?", axe, {"Email": "check"})
        await answer(page, "What is your email address?", axe, {"email": email})
        rows = await page.locator(".govuk-summary-list__row").all_inner_texts()
        assert any("Sharing" in r and "Yes" in r for r in rows), rows
        async with page.expect_navigation():
            await page.get_by_role("button", name="Accept and send").click()
        assert await page.locator(".govuk-panel__title").inner_text() == "Request received"

        [asked] = await messages_to(platform, email, 1)
        assert "a request for help for you on" in str(asked["body"])
        assert "your child" not in str(asked["body"])
        await page.goto(await link_in_message(platform, email))
        async with page.expect_navigation():
            await page.get_by_role("button", name="Confirm").click()
        assert await page.locator(".govuk-panel__title").inner_text() == "Request confirmed"

        # Taken in: the news of the request goes to them as well, in words to them.
        received = await message_saying(platform, email, "the request for support for you on")
        assert "your child" not in str(received["body"])
        reference = str(received["body"]).split("Your reference is ")[1][:8]
    finally:
        await context.close()

    # Later, assessed as lacking capacity: the caseworker records their representative (s80).
    staff = await new_context(browser)
    page = await staff.new_page()
    deputy = f"deputy-{marker}@example.org"
    try:
        await sign_in(page, web_url, "leeds-caseworker", then="/caseload")
        await page.fill("#text", reference)
        async with page.expect_navigation():
            await page.get_by_role("button", name="Search").click()
        async with page.expect_navigation():
            await page.locator("tr", has_text=f"Seren{marker}").locator("a").click()
        decisions = await page.locator("#decisions + dl").inner_text()
        assert "The young person (over compulsory school age, s83)" in decisions
        assert "Given: what they tell us may be shared" in decisions
        assert "None: the young person decides for themselves" in decisions
        async with page.expect_navigation():
            await page.get_by_role(
                "link", name="Record who acts for a young person who lacks mental capacity"
            ).click()
        await checked(page, "representative", axe)
        await page.get_by_label("A deputy appointed by the Court of Protection").check()
        await page.fill("#reason", "Assessed as lacking capacity to decide about education.")
        await page.fill("#name", "Dafydd Jones")
        await page.get_by_label("Email", exact=True).check()
        await page.fill("#email", deputy)
        async with page.expect_navigation():
            await page.get_by_role("button", name="Record it").click()
        banner = await page.locator(".govuk-notification-banner").inner_text()
        assert "The representative was recorded" in banner
        decisions = await page.locator("#decisions + dl").inner_text()
        assert "The young person's representative (s80)" in decisions
        assert "A deputy appointed by the Court of Protection, since" in decisions
        assert "Assessed as lacking capacity to decide about education." in decisions
        await checked(page, "referral-who-decides", axe)
    finally:
        await staff.close()
    # The next message (the plan, shared once drafted) goes to the representative.
    referral_id = page.url.rsplit("/", 1)[-1]
    async with httpx.AsyncClient(
        base_url=platform.url("plans"), timeout=10, headers=caseworker
    ) as plans:
        for _ in range(300):
            shared = await plans.post(f"/v1/referrals/{referral_id}/plan/share", json={})
            if shared.status_code != 404:
                break
            await asyncio.sleep(0.1)  # waiting for a condition: the plan drafted
        assert shared.status_code == 200, shared.text
    [told] = await messages_to(platform, deputy, 1)
    assert "the young person" in str(told["body"])
    assert "your child" not in str(told["body"])


async def test_a_school_without_an_account_asks_on_the_short_form_and_the_family_confirms(
    browser: Browser,
    browser_tools: dict[str, str],
    web_url: str,
    platform: Platform,
    referrals_api: httpx.AsyncClient,
) -> None:
    """The short form for schools and colleges: fewer questions (the school is the
    requester, its URN asked), "check your answers", the confirmation with the reference;
    the parent is sent the link to confirm, and the request is taken in as the school's."""
    axe = browser_tools["AXE_JS"]
    marker = uuid4().hex[:6]
    email = f"school-family-{marker}@example.org"
    context = await new_context(browser)
    page = await context.new_page()
    try:
        await page.goto(f"{web_url}/request/school")
        await checked(page, "school-start", axe)
        async with page.expect_navigation():
            await page.get_by_role("button", name="Start now").click()
        await answer(page, "Which council area does the child or young person live in?", axe,
                     {"Leeds City Council": "check"})  # fmt: skip
        await answer(page, "What are you asking for?", axe,
                     {"An education, health and care (EHC) needs assessment": "check"})  # fmt: skip
        await answer(page, "What is the child or young person's name?", axe,
                     {"given_name": f"Tomos{marker}", "family_name": "Price"})  # fmt: skip
        await answer(page, "What is their date of birth?", axe,
                     {"date_of_birth-day": "4", "date_of_birth-month": "9",
                      "date_of_birth-year": "2017"})  # fmt: skip
        await answer(page, "What is their home postcode?", axe, {"postcode": "LS6 2AB"})
        await answer(page, "What do they find hardest?", axe,
                     {"Speaking, listening or understanding": "check"})  # fmt: skip
        await answer(page, "Tell us about their difficulties", axe, {})
        async with page.expect_navigation():  # the school's URN, sent empty: named
            await page.get_by_role("button", name="Continue").click()
        assert (await page.title()).startswith("Error: ")
        await checked(page, "school-urn-error", axe)
        await answer(page, "Which school or college are you from?", axe, {"school_urn": "107958"})
        await answer(page, "What is the parent's or carer's name?", axe,
                     {"contact_name": "Bethan Price"})  # fmt: skip
        await answer(page, "How should we contact you?", axe, {"Email": "check"})
        await answer(page, "What is your email address?", axe, {"email": email})

        assert page.url == f"{web_url}/request/school/check"
        rows = await page.locator(".govuk-summary-list__row").all_inner_texts()
        assert any("School or college (URN)" in r and "107958" in r for r in rows), rows
        assert not any("Who is asking" in r for r in rows), rows  # the school: not asked
        await checked(page, "school-check", axe)
        async with page.expect_navigation():
            await page.get_by_role("button", name="Accept and send").click()
        assert page.url == f"{web_url}/request/school/sent"
        reference = (await page.locator(".govuk-panel").inner_text()).split()[-1]
        await checked(page, "school-sent", axe)

        # The family is sent the link (the confirmation message) and confirms it.
        await page.goto(await link_in_message(platform, email))
        async with page.expect_navigation():
            await page.get_by_role("button", name="Confirm").click()
        assert await page.locator(".govuk-panel__title").inner_text() == "Request confirmed"
    finally:
        await context.close()

    found = await referrals_api.post("/v1/referrals/search", json={"text": reference})
    [row] = found.json()["items"]
    referral = (await referrals_api.get(f"/v1/referrals/{row['id']}")).json()
    assert (referral["requested_by"], referral["track"]) == ("school", "ehc")
    assert referral["received_on"] == london_today().isoformat()
    child = (await referrals_api.get(f"/v1/referrals/{row['id']}/child")).json()
    assert child["school_urn"] == "107958"
