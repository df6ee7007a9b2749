"""The workspace in a real browser: Debian's chromium driven by Playwright, against the whole
platform of ``tests/e2e/conftest.py`` (the four services and the workspace as processes, the
development identity provider, a local GOV.UK Notify).

People sign in through the sign-in's own requests (``sign_in``); the sign-in pages themselves
are clicked through in ``test_sessions`` and ``test_caseload_pages``. ``axe_violations`` runs
axe-core's WCAG 2.2 A/AA and best-practice rules on a page.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright

from scripts.platform import REPO_ROOT, Platform

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 375, "height": 667}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
SCREENSHOTS = Path(os.environ.get("WEB_SCREENSHOTS", REPO_ROOT / "build" / "screenshots" / "web"))
"""Where the pages' screenshots go (``make screenshots`` copies them to docs/screenshots)."""


@pytest.fixture(scope="session")
def browser_tools() -> dict[str, str]:
    """CHROMIUM and AXE_JS, installed first when missing (``deploy/local/browser.sh``)."""
    found = subprocess.run(
        ["bash", str(REPO_ROOT / "deploy" / "local" / "browser.sh"), "--paths"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return dict(line.split("=", 1) for line in found.split())


@pytest.fixture(scope="session")
async def browser(browser_tools: dict[str, str]) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=browser_tools["CHROMIUM"],
            args=["--disable-background-networking", "--disable-component-update"],
        )
        yield launched
        await launched.close()


@pytest.fixture(scope="session")
def web_url(platform: Platform) -> str:
    return platform.url("web")


async def new_context(
    browser: Browser, *, viewport: ViewportSize = DESKTOP, javascript: bool = True
) -> BrowserContext:
    """A fresh browser (no cookies). ``bypass_csp``: axe-core is injected as a script, which
    the pages' own policy (no script at all) forbids; the policy has tests of its own."""
    return await browser.new_context(
        viewport=viewport, locale="en-GB", bypass_csp=True, java_script_enabled=javascript,
        is_mobile=viewport == PHONE, has_touch=viewport == PHONE,
    )  # fmt: skip


async def sign_in(page: Page, web_url: str, username: str, *, then: str = "/") -> None:
    """Sign in as ``username`` and land on ``then``: the sign-in's own requests (the
    workspace's start, the identity provider's form posted with the hidden fields it gave, the
    callback that starts the session), made by the page's browser context, whose cookies they
    set, without rendering the two sign-in pages (0.7-1.3 s a test on a busy machine, #25).
    Each test gets a session of its own. The pages themselves, clicked and typed through, are
    tested in ``test_sessions`` and ``test_caseload_pages``."""
    api = page.context.request
    form = await api.get(f"{web_url}/sign-in/start?then={quote(then, safe='/')}")
    assert form.ok, f"the identity provider's sign-in form: {form.status}"
    hidden = {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]*)" value="([^"]*)">', await form.text()
        )
    }
    # Each redirect followed by hand, so that ``then`` is loaded once, by the page itself.
    to_callback = await api.post(
        urljoin(form.url, "/authorize"),
        form={**hidden, "username": username, "password": "dev"},
        max_redirects=0,
    )
    callback = to_callback.headers.get("location", "")
    assert callback.startswith(f"{web_url}/sign-in/callback"), (
        f"{username} was not signed in: {to_callback.status} {urlsplit(callback).path}"
    )
    landing = await api.get(callback, max_redirects=0)
    assert landing.status == 303, f"the workspace's callback for {username}: {landing.status}"
    assert landing.headers["location"] == then, (
        f"{username} signed in, sent to {landing.headers['location']!r} rather than {then!r}"
    )
    await page.goto(f"{web_url}{then}")


async def axe_violations(page: Page, axe_js: str) -> list[dict[str, Any]]:
    """axe-core's violations on the page once loaded (its stylesheets applied: on a busy
    machine a rule like target-size could otherwise run on the unstyled page)."""
    await page.wait_for_load_state("load")
    await page.add_script_tag(path=axe_js)
    results: dict[str, Any] = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in results["violations"]
    ]


async def scrolls_sideways(page: Page) -> bool:
    return bool(
        await page.evaluate(
            "document.documentElement.scrollWidth > document.documentElement.clientWidth"
        )
    )


async def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot for the README's "Using it" section."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240  # once, a local folder
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
