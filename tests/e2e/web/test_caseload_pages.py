"""The caseload and a referral's page in a real browser: journey 6 (Bradford's caseworker opens
a Leeds referral's addresses and gets "Page not found"), journey 1 with the keyboard alone
(Tab to move, Enter and Space to act, typing into fields; the focus always visible), and the
caseload in each of its states (full, filtered by a team from the specialists' events,
paged, a search that finds nothing, a search with an error), each checked by axe-core and at
320 px."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
from playwright.async_api import Browser, Page, ViewportSize, expect
from web.steps import STEPS

from scripts.platform import Platform
from tests.e2e.conftest import wait_for_timeline
from tests.e2e.web.conftest import (
    axe_violations,
    new_context,
    screenshot,
    scrolls_sideways,
    sign_in,
)
from tests.e2e.web.test_caseworker_journey import _day, _ehc_request, fresh_nhs_number

NARROW: ViewportSize = {"width": 320, "height": 640}

FOCUSED = """selector => {
  const el = document.activeElement;
  const seen = (s) => s.boxShadow !== 'none'
      || (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0
          && s.outlineColor !== 'rgba(0, 0, 0, 0)' && s.outlineColor !== 'transparent');
  let visible = seen(getComputedStyle(el));
  if (!visible && (el.type === 'radio' || el.type === 'checkbox') && el.labels.length) {
    visible = seen(getComputedStyle(el.labels[0], '::before'));  // GOV.UK draws it there
  }
  return {visible, reached: el.matches(selector), what: el.outerHTML.slice(0, 120)};
}"""


async def tab_to(page: Page, selector: str, *, limit: int = 250) -> None:
    """Press Tab until the element ``selector`` has the focus, checking on the way that each
    element that takes it shows it (an outline or a box shadow)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        focused: dict[str, Any] = await page.evaluate(FOCUSED, selector)
        assert focused["visible"], f"the focus is not visible on {focused['what']}"
        if focused["reached"]:
            return
    raise AssertionError(f"{selector} never took the focus")


async def go(page: Page) -> None:
    """Press Enter on what has the focus, and wait for the page it opens."""
    async with page.expect_navigation():
        await page.keyboard.press("Enter")


async def type_into(page: Page, selector: str, text: str) -> None:
    await tab_to(page, selector)
    await page.keyboard.type(text)


async def type_date(page: Page, name: str, day: Any) -> None:
    for part, value in (("day", day.day), ("month", day.month), ("year", day.year)):
        await type_into(page, f"#{name}-{part}", str(value))


async def press_button(page: Page, text: str) -> None:
    """Tab to the main content's button named ``text`` and press Enter."""
    for _ in range(10):
        await tab_to(page, "main button.govuk-button")
        if (await page.evaluate("document.activeElement.textContent")).strip() == text:
            await go(page)
            return
    raise AssertionError(f"no button {text!r}")


async def follow(page: Page, href_end: str) -> None:
    await tab_to(page, f"a[href$='{href_end}']")
    await go(page)


async def test_bradfords_caseworker_gets_page_not_found_for_a_leeds_referral(
    browser: Browser, web_url: str, referrals_api: httpx.AsyncClient
) -> None:
    number = fresh_nhs_number()
    leeds = await _ehc_request(referrals_api, 20, nhs_number=number)
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "bradford-caseworker", then="/caseload")
    base = f"{web_url}/referrals/{leeds['id']}"
    addresses = [
        base,
        *(f"{base}/steps/{slug}" for slug in STEPS),
        f"{base}/advice/medical/received",
        f"{base}/family-link/revoke",
    ]
    for address in addresses:
        response = await page.goto(address)
        assert response is not None
        assert response.status == 404, address
        await expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
        await expect(page.locator("main")).not_to_contain_text(leeds["child"]["family_name"])
    await screenshot(page, "page-not-found")

    # A step posted anyway (with Bradford's own CSRF token) records nothing.
    await page.goto(f"{web_url}/caseload")
    csrf = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    posted = await page.request.post(
        f"{base}/steps/assessment-decision",
        form={
            "csrf_token": csrf or "",
            "idempotency_key": str(uuid4()),
            "decision": "assess",
            "decided_on-day": str(_day(1).day),
            "decided_on-month": str(_day(1).month),
            "decided_on-year": str(_day(1).year),
        },
    )
    assert posted.status == 404
    stored = (await referrals_api.get(f"/v1/referrals/{leeds['id']}")).json()
    assert stored["ehc"]["stage"] == "assessment_requested"

    # Nor does Bradford's search find the Leeds child, by NHS number or reference.
    for text in (number, leeds["id"][:8]):
        await page.get_by_label("Search by reference, NHS number or name").fill(text)
        await page.get_by_role("button", name="Search", exact=True).click()
        await expect(page.locator("main")).to_contain_text("No referrals match your search")
    await context.close()


async def test_journey_one_with_the_keyboard_alone(
    browser: Browser, web_url: str, referrals_api: httpx.AsyncClient
) -> None:
    number = fresh_nhs_number()
    referral = await _ehc_request(referrals_api, 40, nhs_number=number)
    await wait_for_timeline(referrals_api, referral["id"], ("message_sent",))
    context = await new_context(browser)
    page = await context.new_page()

    # Signing in: the start button, then the identity provider's page.
    await page.goto(f"{web_url}/sign-in?then=/caseload")
    await tab_to(page, "a.govuk-button--start")
    await go(page)
    await type_into(page, "#username", "leeds-caseworker")  # a select takes typed letters
    await type_into(page, "#password", "dev")
    await go(page)
    await page.wait_for_url(f"{web_url}/caseload")

    # Found by NHS number.
    await type_into(page, "#text", number)
    await go(page)
    await expect(page.locator("table.govuk-table tbody tr")).to_have_count(1)
    await follow(page, f"/referrals/{referral['id']}")
    await expect(page.get_by_role("heading", level=1)).to_contain_text(referral["id"][:8].upper())

    await follow(page, "/steps/assessment-decision")
    await tab_to(page, "input[name=decision][value=assess]")
    await page.keyboard.press("Space")
    await type_date(page, "decided_on", _day(38))
    await press_button(page, "Record it")
    await expect(page.locator(".govuk-notification-banner--success")).to_be_visible()

    await follow(page, "/steps/advice-requests")
    # Reg 6(1): the family's, the head teacher's, medical, psychological and social care advice.
    for kind in ("parent", "educational", "medical", "educational_psychology", "social_care"):
        await tab_to(page, f"input[name=kinds][value={kind}]")
        await page.keyboard.press("Space")
    await type_date(page, "requested_on", _day(37))
    await press_button(page, "Record it")
    for kind in ("educational_psychology", "medical", "social_care"):
        await expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
        await follow(page, f"/advice/{kind}/received")
        await type_date(page, "received_on", _day(30))
        await press_button(page, "Record it")

    await follow(page, "/steps/plan-decision")
    await tab_to(page, "input[name=decision][value=issue]")
    await page.keyboard.press("Space")
    await type_date(page, "decided_on", _day(29))
    await press_button(page, "Record it")

    await follow(page, "/steps/draft-plan")
    await type_date(page, "issued_on", _day(25))
    await press_button(page, "Record it")

    await follow(page, "/steps/final-plan")
    await type_date(page, "issued_on", _day(5))
    await press_button(page, "Record it")

    clock = page.locator("#clock + .app-table-wrapper table")
    for limit in ("Decide whether to assess", "Issue the final plan"):
        await expect(clock.get_by_role("row").filter(has_text=limit)).to_contain_text("Met")
    stored = (await referrals_api.get(f"/v1/referrals/{referral['id']}")).json()
    assert stored["ehc"]["stage"] == "final_plan_issued"
    await context.close()


async def _specialists_api(platform: Platform, referrals_api: httpx.AsyncClient) -> Any:
    return httpx.AsyncClient(
        base_url=platform.url("specialists"), timeout=10, headers=referrals_api.headers
    )


async def _support_request(api: httpx.AsyncClient, given_name: str, family_name: str) -> str:
    response = await api.post(
        "/v1/referrals",
        json={
            "local_authority": "E08000035",
            "requested_by": "school",
            "primary_need": "SLCN",
            "child": {
                "given_name": given_name,
                "family_name": family_name,
                "date_of_birth": "2017-09-12",
                "postcode": "LS6 2AB",
            },
            "family_contact": {"name": "A Parent", "email": "parent@example.org"},
        },
    )
    assert response.status_code == 201, response.text
    referral_id: str = response.json()["id"]
    return referral_id


async def test_the_caseload_in_each_state_filtered_paged_searched_and_narrow(
    browser: Browser,
    web_url: str,
    platform: Platform,
    referrals_api: httpx.AsyncClient,
    browser_tools: dict[str, str],
) -> None:
    axe = browser_tools["AXE_JS"]
    family = f"Paged{uuid4().hex[:6]}"
    ids = [await _support_request(referrals_api, f"Child{n:02d}", family) for n in range(26)]
    # The first one's specialist: the team filter comes from specialists' events.
    await wait_for_timeline(referrals_api, ids[0])
    async with await _specialists_api(platform, referrals_api) as specialists:
        allocations = (await specialists.get(f"/v1/referrals/{ids[0]}/allocations")).json()
    team = allocations["allocations"][0]["specialist_id"]
    teams_of_child = {a["specialist_id"] for a in allocations["allocations"]}

    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then="/caseload")
    assert await axe_violations(page, axe) == []  # full
    await screenshot(page, "caseload")

    # A search and the team filter together: the child with that team, and none with another.
    search_box = page.get_by_label("Search by reference, NHS number or name")
    await search_box.fill(f"Child00 {family}")
    await page.get_by_role("button", name="Search", exact=True).click()
    rows = page.locator("table.govuk-table tbody tr")
    await expect(rows).to_have_count(1)
    await page.select_option("#team", team)
    await page.get_by_role("button", name="Apply filters").click()
    assert f"team={team}" in page.url
    await expect(rows).to_have_count(1)
    await expect(rows).to_contain_text(f"Child00 {family}")
    await expect(page.locator("#team")).to_have_value(team)
    assert await axe_violations(page, axe) == []
    options = await page.locator("#team option").evaluate_all("os => os.map(o => o.value)")
    other = next(o for o in options if o and o not in teams_of_child)
    await page.select_option("#team", other)
    await page.get_by_role("button", name="Apply filters").click()
    await expect(page.locator("main")).to_contain_text("No referrals match your search and filters")
    await page.get_by_role("button", name="Clear search").click()
    assert f"team={other}" in page.url  # the filters stay when the search ends
    await expect(page.get_by_role("heading", name="Referrals", exact=True)).to_be_visible()

    # A search keeps the filters; its text never reaches the address.
    await page.get_by_role("link", name="Clear filters").click()
    await search_box.fill(family)
    await page.get_by_role("button", name="Search", exact=True).click()
    await expect(rows).to_have_count(25)
    assert family not in page.url
    await page.get_by_role("link", name="Next").click()
    await expect(rows).to_have_count(1)
    assert "page=2" in page.url
    assert family not in page.url
    await expect(page.locator("#text")).to_have_value(family)
    assert await axe_violations(page, axe) == []
    await page.get_by_role("link", name="Previous").click()
    await expect(rows).to_have_count(25)

    # Nothing found; then a search too short to make (the error summary links to the field).
    await page.get_by_label("Search by reference, NHS number or name").fill(f"{family}zz")
    await page.get_by_role("button", name="Search", exact=True).click()
    await expect(page.locator("main")).to_contain_text("No referrals match your search")
    assert await axe_violations(page, axe) == []  # empty
    await page.get_by_label("Search by reference, NHS number or name").fill("x")
    await page.get_by_role("button", name="Search", exact=True).click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("Enter at least 2 characters")
    assert await summary.get_by_role("link").get_attribute("href") == "#text"
    await expect(page.locator("#text-error")).to_contain_text("Enter at least 2 characters")
    assert (await page.title()).startswith("Error: ")
    assert await axe_violations(page, axe) == []  # with errors
    await page.get_by_label("Search by reference, NHS number or name").fill("")
    await page.get_by_role("button", name="Search", exact=True).click()  # empty: no search
    await expect(page.get_by_role("heading", name="Referrals", exact=True)).to_be_visible()
    await context.close()

    narrow = await new_context(browser, viewport=NARROW)
    page = await narrow.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then="/caseload")
    assert not await scrolls_sideways(page)
    await page.goto(f"{web_url}/referrals/{ids[0]}")
    await expect(page.locator("#child + .govuk-summary-list")).to_contain_text(family)
    assert not await scrolls_sideways(page)
    assert await axe_violations(page, axe) == []
    await narrow.close()
