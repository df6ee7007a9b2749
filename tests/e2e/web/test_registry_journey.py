"""Journey 4: a manager imports a registry CSV with one bad row and sees its line and
column; nothing is stored (checked through the API); the corrected file imports. And the
rest of the registry's pages: add (a bad district named beside its field), change, retire
after a confirmation, a shared team agreed to by the other council's manager; caseworkers
read the list only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
from playwright.async_api import Browser, FilePayload, Page, expect

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider, Platform
from tests.e2e.web.conftest import (
    axe_violations,
    new_context,
    screenshot,
    scrolls_sideways,
    sign_in,
)

LEEDS, BRADFORD = "E08000035", "E08000032"
HEADER = (
    "id,kind,team_id,display_name,role,local_authority,councils,districts,settings,languages,"
    "capacity,working_pattern,active"
)


@pytest.fixture
async def registry_api(
    platform: Platform, identity: IdentityProvider
) -> AsyncIterator[httpx.AsyncClient]:
    token = await fetch_token(identity.issuer, "leeds-manager")
    async with httpx.AsyncClient(
        base_url=platform.url("specialists"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ) as client:
        yield client


async def _names(api: httpx.AsyncClient, council: str = LEEDS) -> dict[str, dict[str, Any]]:
    listed = await api.get("/v1/registry", params={"local_authority": council})
    assert listed.status_code == 200, listed.text
    return {e["display_name"]: e for e in listed.json()}


async def _upload(page: Page, name: str, text: str) -> None:
    upload: FilePayload = {"name": name, "mimeType": "text/csv", "buffer": text.encode()}
    await page.set_input_files("#csv", files=[upload])
    await page.get_by_role("button", name="Import the file").click()


async def test_a_manager_imports_a_csv_with_a_bad_row_sees_its_line_and_nothing_is_stored(
    browser: Browser, web_url: str, registry_api: httpx.AsyncClient, browser_tools: dict[str, str]
) -> None:
    axe = browser_tools["AXE_JS"]
    tag = uuid4().hex[:6]
    good = (
        f",team,,Otley SLT team {tag},speech_and_language_therapy,{LEEDS},,LS21,,en,40,Mon-Fri,true"
    )
    bad = f",team,,Wetherby OT team {tag},occupational_therapy,{LEEDS},,LS22,,en,lots,Mon-Fri,true"
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-manager", then="/registry")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Specialists registry")
    assert await axe_violations(page, axe) == []
    await screenshot(page, "registry")

    await page.get_by_role("button", name="Import from a CSV file").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Import the registry from a CSV file"
    )
    assert await axe_violations(page, axe) == []
    await page.get_by_role("button", name="Import the file").click()  # no file chosen
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Select a CSV file")
    assert await axe_violations(page, axe) == []

    await _upload(page, "teams.csv", f"{HEADER}\n{good}\n{bad}\n")
    summary = page.locator(".govuk-error-summary")
    link = summary.get_by_role("link", name="Line 3, column capacity")
    await expect(link).to_have_attribute("href", "#csv")
    await expect(page.locator("#csv-error")).to_contain_text("teams.csv has 1 problem")
    problem = page.get_by_role("row").filter(has_text="capacity")
    await expect(problem.locator("td").first).to_have_text("3")
    assert await axe_violations(page, axe) == []
    await screenshot(page, "registry-import-errors")
    names = await _names(registry_api)
    assert f"Otley SLT team {tag}" not in names  # the good row was not stored either
    assert f"Wetherby OT team {tag}" not in names

    await link.click()
    assert await page.evaluate("document.activeElement.id") == "csv"
    await _upload(page, "teams.csv", f"{HEADER}\n{good}\n{bad.replace('lots', '60')}\n")
    banner = page.locator(".govuk-notification-banner--success")
    await expect(banner).to_contain_text("2 entries were imported from teams.csv")
    await expect(page.get_by_role("row", name=f"Wetherby OT team {tag}")).to_contain_text(
        "0 of 60 taken"
    )
    names = await _names(registry_api)
    assert names[f"Otley SLT team {tag}"]["districts"] == ["LS21"]
    assert names[f"Wetherby OT team {tag}"]["capacity"] == 60

    exported = await page.request.get(f"{web_url}/registry/export.csv?council={LEEDS}")
    assert exported.status == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert f"Wetherby OT team {tag}" in await exported.text()
    await context.close()


async def test_a_manager_adds_changes_and_retires_an_entry(
    browser: Browser, web_url: str, registry_api: httpx.AsyncClient, browser_tools: dict[str, str]
) -> None:
    axe = browser_tools["AXE_JS"]
    name = f"Horsforth EP team {uuid4().hex[:6]}"
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-manager", then="/registry")
    await page.get_by_role("button", name="Add a team or practitioner").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Add a team or practitioner")
    assert await axe_violations(page, axe) == []
    await page.get_by_label("Name", exact=True).fill(name)
    await page.get_by_label("Kind of specialist").select_option("educational_psychology")
    await page.get_by_label("Postcode districts it works in").fill("LS18 Horsforth")
    await page.get_by_label("Caseload capacity, in weighted places").fill("30")
    await page.get_by_role("button", name="Add it").click()

    summary = page.locator(".govuk-error-summary")
    await expect(
        summary.get_by_role("link", name="Postcode districts must be like LS6")
    ).to_have_attribute("href", "#districts")
    await expect(page.locator("#districts-error")).to_contain_text("Postcode districts must be")
    await expect(page.get_by_label("Name", exact=True)).to_have_value(name)  # kept
    assert await axe_violations(page, axe) == []
    await screenshot(page, "registry-entry-with-error")
    assert name not in await _names(registry_api)

    await page.get_by_label("Postcode districts it works in").fill("ls18")
    sent = await page.evaluate(
        "() => Object.fromEntries(new FormData(document.querySelector('main form')))"
    )
    await page.get_by_role("button", name="Add it").click()
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"{name} was added to the registry"
    )
    again = await page.request.post(f"{web_url}/registry/new?council={LEEDS}", form=sent)
    assert again.ok  # the same form sent again (a double click, a retry): still one entry
    assert "was added to the registry" in await again.text()
    listed = await registry_api.get("/v1/registry", params={"local_authority": LEEDS})
    assert [e["display_name"] for e in listed.json()].count(name) == 1
    stored = (await _names(registry_api))[name]
    assert (stored["districts"], stored["capacity"], stored["role"]) == (
        ["LS18"],
        30,
        "educational_psychology",
    )

    await page.get_by_role("link", name=f"Change {name}").click()
    await expect(page.get_by_label("Postcode districts it works in")).to_have_value("LS18")
    await page.get_by_label("Caseload capacity, in weighted places").fill("45")
    await page.get_by_role("button", name="Save the changes").click()
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"{name} was changed"
    )
    assert (await _names(registry_api))[name]["capacity"] == 45

    await page.get_by_role("link", name=f"Retire {name}").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Retire {name}")
    assert await axe_violations(page, axe) == []
    assert (await _names(registry_api))[name]["active"] is True  # not before it is confirmed
    await page.get_by_role("button", name="Retire it").click()
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"{name} was retired"
    )
    await expect(page.get_by_role("row", name=name)).to_contain_text("Retired")
    assert (await _names(registry_api))[name]["active"] is False
    await context.close()


async def test_the_other_councils_manager_agrees_to_a_shared_team(
    browser: Browser, web_url: str, registry_api: httpx.AsyncClient, browser_tools: dict[str, str]
) -> None:
    name = f"West Yorkshire VI team {uuid4().hex[:6]}"
    created = await registry_api.post(
        "/v1/registry",
        json={
            "display_name": name,
            "role": "vision_impairment_teaching",
            "local_authority": LEEDS,
            "councils": [LEEDS, BRADFORD],
            "districts": ["LS1", "BD1"],
            "capacity": 20,
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["awaiting_agreement"] == [BRADFORD]
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "bradford-manager", then="/registry")
    asking = page.locator(".app-registry-list__item").filter(has_text=name)
    await expect(asking).to_contain_text("commissioned by Leeds City Council")
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []
    await asking.get_by_role("button", name=f"Agree to be served by {name}").click()
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"{name} now serves City of Bradford Metropolitan District Council's children"
    )
    await expect(page.get_by_role("row", name=name)).to_be_visible()
    entry = (await registry_api.get(f"/v1/registry/{created.json()['id']}")).json()
    assert entry["awaiting_agreement"] == []
    await context.close()


async def test_a_caseworker_reads_the_registry_and_cannot_change_it(
    browser: Browser, web_url: str, browser_tools: dict[str, str]
) -> None:
    context = await new_context(browser, viewport={"width": 320, "height": 640})
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then="/registry")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Specialists registry")
    await expect(page.get_by_role("row").nth(1)).to_be_visible()
    assert await page.get_by_role("button", name="Add a team or practitioner").count() == 0
    assert await page.get_by_role("link", name="Change").count() == 0
    assert not await scrolls_sideways(page)
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []
    for path in ("/registry/new", "/registry/import"):
        answer = await page.goto(f"{web_url}{path}")
        assert answer is not None
        assert answer.status == 403, path
    await context.close()


async def test_the_managers_pages_fit_a_phone(browser: Browser, web_url: str) -> None:
    context = await new_context(browser, viewport={"width": 320, "height": 640})
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-manager", then="/registry")
    assert not await scrolls_sideways(page)
    for path in ("/registry/new", "/registry/import"):
        await page.goto(f"{web_url}{path}")
        assert not await scrolls_sideways(page), path
    await page.get_by_role("button", name="Import the file").click()
    await expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert not await scrolls_sideways(page)
    await context.close()
