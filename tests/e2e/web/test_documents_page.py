"""A caseworker adds evidence to a child's record from the workspace: a renamed program is
refused on the file field (named in the error summary, linked to it) and nothing is stored;
so are a file of another type, an empty one and one over 20 MB;
a PDF is stored, listed on the referral's page and downloaded as it was sent. axe finds
nothing on the page in each state, and nothing scrolls sideways at 320 px."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import httpx
from playwright.async_api import Browser, FilePayload, ViewportSize, expect

from tests import documents
from tests.e2e.web.conftest import (
    axe_violations,
    new_context,
    screenshot,
    scrolls_sideways,
    sign_in,
)
from tests.e2e.web.test_caseworker_journey import _a_child

NARROW: ViewportSize = {"width": 320, "height": 640}
REFUSED = (
    ("advice.pdf", documents.windows_program(), "The selected file is a program, not a document"),
    ("notes.txt", b"typed notes", "The selected file must be a PDF, a Word document"),
    ("advice.pdf", b"", "The selected file is empty"),
    ("big.pdf", None, "smaller than 20 MB"),
)
"""Bad uploads, and the words each is refused with on the file field (None: a file of 20 MB
and a byte, chosen from disk: too big to hand the browser in one message)."""


def _file(name: str, content: bytes) -> FilePayload:
    return {"name": name, "mimeType": "application/pdf", "buffer": content}


async def _support_request(api: httpx.AsyncClient) -> str:
    response = await api.post(
        "/v1/referrals",
        headers={"Idempotency-Key": str(uuid4())},
        json={
            "local_authority": "E08000035",
            "track": "support",
            "requested_by": "school",
            "primary_need": "SLCN",
            "child": _a_child(),
            "family_contact": {"name": "Ngozi Okafor", "email": "ngozi@example.org"},
        },
    )
    assert response.status_code == 201, response.text
    referral_id: str = response.json()["id"]
    return referral_id


async def test_a_caseworker_uploads_evidence_and_a_renamed_program_is_refused(
    browser: Browser,
    web_url: str,
    referrals_api: httpx.AsyncClient,
    browser_tools: dict[str, str],
    tmp_path: Path,
) -> None:
    referral_id = await _support_request(referrals_api)
    context = await new_context(browser)
    page = await context.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=f"/referrals/{referral_id}")
    documents_part = page.locator("#documents + *")
    await expect(documents_part).to_have_text("No documents yet.")

    await page.get_by_role("link", name="Upload evidence").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Upload evidence")
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []

    big = tmp_path / "big.pdf"
    big.write_bytes(documents.pdf().ljust(20 * 1024 * 1024 + 1, b" "))
    for name, content, words in REFUSED:
        await page.set_input_files(
            "#file",
            files=big if content is None else _file(name, content),
        )
        await page.get_by_role("button", name="Upload the file").click()
        summary = page.locator(".govuk-error-summary")
        await expect(summary).to_contain_text(words)
        assert await summary.get_by_role("link").get_attribute("href") == "#file"
        await expect(page.locator("#file-error")).to_contain_text(words)
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []
    await screenshot(page, "documents-upload-refused")
    listed = await referrals_api.get(f"/v1/referrals/{referral_id}/documents")
    assert listed.json() == []  # nothing stored

    evidence = documents.pdf(f"speech and language report {uuid4()}")
    await page.set_input_files(
        "#file",
        files=_file("SALT report.pdf", evidence),
    )
    await page.get_by_role("button", name="Upload the file").click()
    await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "SALT report.pdf was added to the documents"
    )
    link = page.get_by_role("link", name="SALT report.pdf")
    await expect(link).to_be_visible()
    assert await axe_violations(page, browser_tools["AXE_JS"]) == []
    async with page.expect_download() as download_info:
        await link.click()
    download = await download_info.value
    path = await download.path()
    assert path.read_bytes() == evidence
    assert download.suggested_filename.startswith("evidence-")
    await context.close()

    narrow = await new_context(browser, viewport=NARROW)
    page = await narrow.new_page()
    await sign_in(page, web_url, "leeds-caseworker", then=f"/referrals/{referral_id}")
    assert not await scrolls_sideways(page)
    await page.goto(f"{web_url}/referrals/{referral_id}/documents/upload")
    assert not await scrolls_sideways(page)
    await narrow.close()
