"""The family's plan page, the workspace's, in a real headless browser (Debian's chromium,
driven by Playwright) at a phone's size: the workspace renders plans' family JSON, both served
over real HTTP against real PostgreSQL. It renders, axe-core finds no accessibility violations
(WCAG 2.2 A and AA, and best practice) with the plan, while it is prepared, with an error in
the comment form and for a refused link; nothing scrolls sideways even at 320 px; and another
child's plan, seeded alongside, is nowhere in it. One screenshot per broad area of need goes to
$PLAN_SCREENSHOTS (default build/screenshots/).

``deploy/local/browser.sh`` installs chromium and axe-core when missing (``make test`` runs
it first) and says where they are."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from uuid import uuid4

import pytest
import uvicorn
from fastapi import FastAPI
from plans.catalogue_store import shipped_in_force
from plans.domain import draft_plan
from plans.family import repository as family_repository
from playwright.async_api import Browser, Page, ViewportSize, async_playwright
from web.app import create_app as create_workspace
from web.config import WebSettings

from scripts.platform import IdentityProvider, free_port, migrations_of, service_url
from shared.events import ReferralDescribed, ReferralReceived, Sen2Need
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.conftest import wait_for
from tests.integration.plans_family import BRADFORD, LEEDS, link, plans_service, seed_plan
from tests.plan_documents import plans_by_area

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("PLAN_SCREENSHOTS", REPO / "build" / "screenshots"))
PHONE: ViewportSize = {"width": 375, "height": 667}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
SECTIONS = ("What your child finds hard", "What we want to achieve", "The help your child will get")


@pytest.fixture(scope="module")
def tools() -> dict[str, str]:
    """CHROMIUM and AXE_JS, installed first when missing."""
    found = subprocess.run(
        ["bash", str(REPO / "deploy" / "local" / "browser.sh"), "--paths"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return dict(line.split("=", 1) for line in found.split())


@pytest.fixture(scope="module")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="module")
async def plans_url(databases: Databases) -> str:
    return await databases.fresh("family-browser", "plans", migrations_of("plans"))


@asynccontextmanager
async def _served(app: FastAPI, *, lifespan: Literal["on", "off"]) -> AsyncIterator[str]:
    """``app`` over real HTTP (a browser needs one), on a free port of this machine."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan=lifespan, log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    await wait_for(started, what="a server to listen")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
async def served(
    plans_url: str, databases: Databases, identity: IdentityProvider
) -> AsyncIterator[str]:
    """The workspace, calling the plans service; its address (where the family goes)."""
    sessions = await databases.fresh("family-browser-web", "web", migrations_of("web"))
    async with plans_service(plans_url, identity) as plans, _served(plans, lifespan="off") as api:
        workspace = create_workspace(
            WebSettings(
                database_url=service_url(sessions),
                plans_url=api,
                oidc_issuer=identity.issuer,
                rate_limit_family="100000/minute",
                rate_limit_post="100000/minute",
            )
        )
        async with _served(workspace, lifespan="on") as address:
            yield address


@pytest.fixture(scope="module")
async def browser(tools: dict[str, str]) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=tools["CHROMIUM"])
        yield launched
        await launched.close()


async def _phone_page(browser: Browser, *, bypass_csp: bool = True) -> Page:
    # axe-core is injected as a script, which the page's own policy (no script) forbids.
    context = await browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
        bypass_csp=bypass_csp, locale="en-GB",
    )  # fmt: skip
    return await context.new_page()


async def _violations(page: Page, axe_js: str) -> list[dict[str, Any]]:
    await page.add_script_tag(path=axe_js)
    results: dict[str, Any] = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in results["violations"]
    ]


async def _scrolls_sideways(page: Page) -> bool:
    return bool(
        await page.evaluate(
            "document.documentElement.scrollWidth > document.documentElement.clientWidth"
        )
    )


def _opened(served: str, token: str) -> str:
    """The family view's link to the plan (FAMILY_PLAN_URL): the token leaves the address."""
    return f"{served}/family/{token}/plan"


@pytest.mark.parametrize("area", list(plans_by_area()))
async def test_the_plan_page_on_a_phone_is_accessible_and_shows_only_this_childs_plan(
    area: str,
    plans_url: str,
    served: str,
    browser: Browser,
    tools: dict[str, str],
    screenshots: Path,
) -> None:
    document = plans_by_area()[area]
    status = "issued_for_comment" if document.track == "ehc" else "shared"
    referral_id = await seed_plan(plans_url, document, status=status)
    marker = f"OTHER{uuid4().hex[:8]}"
    for other in plans_by_area(f" {marker}").values():
        for council in (LEEDS, BRADFORD):
            await seed_plan(plans_url, other, status="shared", council=council)
    page = await _phone_page(browser)
    try:
        response = await page.goto(_opened(served, link(referral_id)))
        assert response is not None
        assert response.status == 200
        assert page.url == f"{served}/family/plan"  # the link is kept, not in the address
        title = {"support": "support plan", "ehc": "education, health and care plan"}
        assert await page.locator("h1").all_inner_texts() == [
            f"Your child's {title[document.track]}"
        ]
        headings = await page.locator("h2").all_inner_texts()
        # An EHC plan's sections carry their letters ("Section B: What your child finds hard").
        assert all(any(h.endswith(section) for h in headings) for section in SECTIONS), headings
        lettered = [h for h in headings if h.startswith("Section ")]
        assert bool(lettered) == (document.track == "ehc"), headings
        main = await page.inner_text("main")
        assert document.E[0].text in main
        assert any(
            sentence.startswith(("Twice a week", "Five times", "Once a week", "Once every"))
            for sentence in main.split("\n")
        ), main
        assert await page.locator("form textarea[name=comments]").count() == 1
        assert await _violations(page, tools["AXE_JS"]) == []
        assert not await _scrolls_sideways(page)
        await page.screenshot(path=str(screenshots / f"{area}.png"), full_page=True)
        await page.set_viewport_size({"width": 320, "height": 640})
        assert not await _scrolls_sideways(page)
        assert marker not in await page.content()
    finally:
        await page.context.close()


async def test_proposed_amendments_after_a_review_are_shown_for_comments_accessibly(
    plans_url: str, served: str, browser: Browser, tools: dict[str, str]
) -> None:
    """The amended plan proposed after an annual review (Reg 22): what it is, the day comments
    are due and the comment form, with no accessibility violations (#22)."""
    document = plans_by_area()["sensory-and-physical"]
    referral_id = await seed_plan(plans_url, document, status="amendments_proposed")
    conn = await owner_connection(plans_url)
    try:
        await conn.execute(
            "UPDATE support_plans SET comments_until = $2 WHERE referral_id = $1",
            referral_id, date(2027, 3, 17),
        )  # fmt: skip
    finally:
        await conn.close()
    page = await _phone_page(browser)
    try:
        response = await page.goto(_opened(served, link(referral_id)))
        assert response is not None
        assert response.status == 200
        main = await page.inner_text("main")
        assert "Changes we propose after the annual review: we would like your comments." in main
        assert "Until we issue the amended plan, the final plan stays as it is" in main
        assert "Please send us your comments by 17 March 2027." in main
        assert await page.locator("form textarea[name=comments]").count() == 1
        assert await _violations(page, tools["AXE_JS"]) == []
        assert not await _scrolls_sideways(page)
    finally:
        await page.context.close()


async def test_the_page_keeps_its_own_strict_policy_and_loads_its_stylesheets(
    plans_url: str, served: str, browser: Browser
) -> None:
    referral_id = await seed_plan(plans_url, plans_by_area()["cognition-and-learning"])
    page = await _phone_page(browser, bypass_csp=False)
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    try:
        await page.goto(_opened(served, link(referral_id)))
        font = await page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
        assert font.startswith("arial")  # govuk-frontend's stylesheet applied
        assert refused == []  # no Content-Security-Policy violation reported
    finally:
        await page.context.close()


async def test_a_revoked_expired_or_other_councils_link_shows_no_plan(
    plans_url: str, served: str, browser: Browser, tools: dict[str, str]
) -> None:
    document = plans_by_area()["social-emotional-and-mental-health"]
    referral_id = await seed_plan(plans_url, document)
    now = datetime.now(UTC)
    before = link(referral_id, now=now - timedelta(minutes=5))
    conn = await owner_connection(plans_url)
    try:
        await family_repository.links_revoked(
            conn, referral_id, LEEDS, generation=1, revoked_at=now - timedelta(minutes=1)
        )
    finally:
        await conn.close()
    page = await _phone_page(browser)
    try:
        for token in (before, link(referral_id, now=now - timedelta(days=2))):
            response = await page.goto(_opened(served, token))
            assert response is not None
            assert response.status == 401
            assert await page.locator("h1").inner_text() == "This link no longer works"
            assert document.E[0].text not in await page.content()
        assert await _violations(page, tools["AXE_JS"]) == []
        await page.goto(_opened(served, link(referral_id, BRADFORD)))
        assert "being prepared" in await page.locator("h1").inner_text()
        assert document.E[0].text not in await page.content()
        assert await _violations(page, tools["AXE_JS"]) == []
        # The checker itself is awake: an image with no text alternative is a violation.
        await page.evaluate(
            "document.querySelector('main').insertAdjacentHTML('beforeend', "
            "'<img src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\">')"
        )
        assert "image-alt" in [v["id"] for v in await _violations(page, tools["AXE_JS"])]
    finally:
        await page.context.close()


async def test_the_comment_form_names_what_is_wrong_beside_the_field_and_above_the_plan(
    plans_url: str, served: str, browser: Browser, tools: dict[str, str], screenshots: Path
) -> None:
    """Empty (the workspace's own check) and too long (plans' 422, its ``loc`` mapped to the
    field): each in the error summary, linked to the field, and beside it; nothing stored."""
    referral_id = await seed_plan(plans_url, plans_by_area()["cognition-and-learning"])
    page = await _phone_page(browser)
    try:
        await page.goto(_opened(served, link(referral_id)))
        for typed, said in (
            ("", "Enter your comments"),
            ("x" * 5001, "Your comments must be 5000 characters or fewer"),
        ):
            await page.fill("#comments", typed)
            async with page.expect_navigation():
                await page.get_by_role("button", name="Send your comments").click()
            assert (await page.title()).startswith("Error: Your child's support plan")
            summary = page.locator(".govuk-error-summary")
            assert await summary.locator("a[href='#comments']").inner_text() == said
            assert said in await page.locator("#comments-error").inner_text()
            assert await page.input_value("#comments") == typed
            assert await _violations(page, tools["AXE_JS"]) == []
            assert not await _scrolls_sideways(page)
        await page.screenshot(path=str(screenshots / "comment-error.png"), full_page=True)
    finally:
        await page.context.close()
    conn = await owner_connection(plans_url)  # it acts for every council
    try:
        stored = await conn.fetchval(
            "SELECT count(*) FROM plan_comments WHERE referral_id = $1", referral_id
        )
    finally:
        await conn.close()
    assert stored == 0


DRAFTED = {  # a referral in each broad area of need, as drafting makes its plan
    "communication-and-interaction": (Sen2Need.SLCN, [Sen2Need.SEMH]),
    "cognition-and-learning": (Sen2Need.SPLD, []),
    "social-emotional-and-mental-health": (Sen2Need.SEMH, [Sen2Need.MLD]),
    "sensory-and-physical": (Sen2Need.HI, [Sen2Need.SLCN]),
}


@pytest.mark.parametrize("area", list(DRAFTED))
async def test_a_drafted_plan_reads_plainly_and_accessibly_on_a_phone(
    area: str,
    plans_url: str,
    served: str,
    browser: Browser,
    tools: dict[str, str],
    screenshots: Path,
) -> None:
    primary, secondary = DRAFTED[area]
    referral = ReferralReceived(
        referral_id=uuid4(), local_authority=LEEDS, received_on=date(2026, 11, 2),
        primary_need=primary, secondary_needs=secondary, requested_by="school",
        postcode_district="LS6", decision_due=date(2026, 12, 14),
        final_plan_due=date(2027, 3, 22), phase="primary", age_years=7, described=True,
    )  # fmt: skip
    words = ReferralDescribed(
        referral_id=referral.referral_id,
        strengths="Kind, funny and loves building things.",
        difficulties="Finds busy, noisy rooms hard.",
        views="Wants to play football with friends at break.",
    )
    plan, drafted = draft_plan(referral, words, shipped_in_force(LEEDS))
    assert drafted is not None  # every check passed
    referral_id = await seed_plan(plans_url, plan.document, status="shared")
    page = await _phone_page(browser)
    try:
        response = await page.goto(_opened(served, link(referral_id)))
        assert response is not None
        assert response.status == 200
        main = await page.inner_text("main")
        for outcome in plan.document.E:
            assert outcome.text in main
        assert "Finds busy, noisy rooms hard." in main
        assert await _violations(page, tools["AXE_JS"]) == []
        assert not await _scrolls_sideways(page)
        await page.screenshot(path=str(screenshots / f"drafted-{area}.png"), full_page=True)
    finally:
        await page.context.close()
