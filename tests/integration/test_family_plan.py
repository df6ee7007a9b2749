"""The family's plan page and the plan's PDF, against real PostgreSQL: plain words, only
this referral's plan, only once it is shared, refused for a bad, expired or revoked link."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from plans import family_repository
from pydantic import SecretStr
from pypdf import PdfReader

from scripts.platform import IdentityProvider, migrations_of
from shared.dev_identity import fetch_token
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.plans_family import BRADFORD, LEEDS, link, plans_service, seed_plan
from tests.plan_documents import plans_by_area

SPEECH = plans_by_area()["communication-and-interaction"]
IN_WORDS = (
    "Twice a week, 30 minutes each time, for 12 weeks, in a group of up to 4 children, "
    "at school, with a speech and language therapist."
)
HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture(scope="module")
async def plans_url(databases: Databases) -> str:
    return await databases.fresh("family-plan", "plans", migrations_of("plans"))


@pytest.fixture(scope="module")
async def app(plans_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with plans_service(plans_url, identity) as service:
        yield service


@pytest.fixture
async def family(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield client


async def _staff(app: FastAPI, identity: IdentityProvider, user: str) -> httpx.AsyncClient:
    token = await fetch_token(identity.issuer, user)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {token}"},
    )


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


async def test_a_shared_plan_reads_in_plain_words_with_the_form_for_comments(
    plans_url: str, family: httpx.AsyncClient
) -> None:
    referral_id = await seed_plan(plans_url, SPEECH, status="shared")
    token = link(referral_id)
    page = await family.get(f"/v1/family/{token}/plan", headers=HTML)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    text = _text(page.text)
    assert page.text.count("<h1") == 1
    assert '<html lang="en"' in page.text
    for said in (
        "Your child's support plan",
        "What your child finds hard",
        "Your child finds it hard to put words together",
        "What we want to achieve",
        "By July 2027, your child asks for help in class using 3-word phrases.",
        "We will check progress on 16 July 2027",
        "The help your child will get",
        IN_WORDS,
        "Who will give it A speech and language therapist",
        "Based on national standard SLCN-EXPR-01",
        f"Your reference {str(referral_id)[:8].upper()}",
        "Shared with you for your comments",
        "Leeds City Council",
    ):
        assert said in text, said
    for never in ("need-1", "outcome-1", "speech_and_language_therapy", "primary_need", '"B"'):
        assert never not in page.text, never
    assert f'action="/v1/family/{token}/plan/comments"' in page.text
    assert 'name="comments"' in page.text
    assert 'name="agree" type="checkbox" value="yes"' in page.text
    assert 'name="preferred_school"' not in page.text  # support track: no school is named
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-robots-tag"].startswith("noindex")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe" not in policy
    assert "script-src" not in policy


async def test_until_it_is_shared_the_family_reads_that_the_plan_is_being_prepared(
    plans_url: str, family: httpx.AsyncClient
) -> None:
    for status in ("draft", "needs_attention", "changes_requested"):
        referral_id = await seed_plan(plans_url, SPEECH, status=status)
        page = await family.get(f"/v1/family/{link(referral_id)}/plan", headers=HTML)
        assert page.status_code == 200, status
        assert "Your child's support plan is being prepared" in page.text, status
        assert "3-word phrases" not in page.text, status
        pdf = await family.get(f"/v1/family/{link(referral_id)}/plan.pdf")
        assert pdf.status_code == 404, status
    nothing_yet = await family.get(f"/v1/family/{link(uuid4())}/plan", headers=HTML)
    assert "is being prepared" in nothing_yet.text
    older_shape = await seed_plan(
        plans_url, {"B": {"primary_need": "SLCN"}, "E": [{"outcome": "x"}]}, status="shared"
    )
    page = await family.get(f"/v1/family/{link(older_shape)}/plan", headers=HTML)
    assert "is being prepared" in page.text


async def test_an_agreed_or_final_plan_is_shown_without_the_form_and_an_ehc_draft_asks_for_a_school(
    plans_url: str, family: httpx.AsyncClient
) -> None:
    for status in ("agreed", "final", "review_due"):
        referral_id = await seed_plan(plans_url, SPEECH, status=status)
        page = await family.get(f"/v1/family/{link(referral_id)}/plan", headers=HTML)
        assert IN_WORDS in _text(page.text), status
        assert "<form" not in page.text, status
    hearing = plans_by_area()["sensory-and-physical"]
    referral_id = await seed_plan(plans_url, hearing, status="issued_for_comment")
    page = await family.get(f"/v1/family/{link(referral_id)}/plan", headers=HTML)
    text = _text(page.text)
    assert 'name="preferred_school"' in page.text
    assert "Health care your child will get" in text
    assert "Once every 4 weeks, 45 minutes each time, for 4 weeks" in text
    assert "in the audiology clinic, with an NHS audiologist." in text
    assert "Once every 2 weeks, 1 hour each time, for 36 weeks, on their own with the adult" in text


async def test_a_link_shows_its_own_referrals_plan_and_no_other_childs(
    plans_url: str, family: httpx.AsyncClient
) -> None:
    mine = await seed_plan(plans_url, SPEECH, status="shared")
    marker = f" OTHER-{uuid4().hex[:8]}"
    others = [
        await seed_plan(plans_url, document, status="shared", council=council)
        for document in plans_by_area(marker).values()
        for council in (LEEDS, BRADFORD)
    ]
    page = await family.get(f"/v1/family/{link(mine)}/plan", headers=HTML)
    assert page.status_code == 200
    assert marker.strip() not in page.text
    assert all(str(other)[:8].upper() not in page.text for other in others)
    # A link naming another council than the referral's opens nothing of it.
    elsewhere = await family.get(f"/v1/family/{link(mine, BRADFORD)}/plan", headers=HTML)
    assert "is being prepared" in elsewhere.text
    assert "3-word phrases" not in elsewhere.text


async def test_a_bad_expired_or_revoked_link_is_refused_with_a_plain_page(
    plans_url: str, family: httpx.AsyncClient
) -> None:
    referral_id = await seed_plan(plans_url, SPEECH, status="shared")
    now = datetime.now(UTC)
    refused = {
        "expired": link(referral_id, now=now - timedelta(days=2)),
        "forged": link(referral_id, key=SecretStr("not-the-councils-key-not-the-councils")),
        "not a link": "x" * 40,
    }
    earlier = link(referral_id, now=now - timedelta(minutes=5))
    assert (await family.get(f"/v1/family/{earlier}/plan")).status_code == 200
    conn = await owner_connection(plans_url)
    try:
        await family_repository.links_revoked(
            conn, referral_id, LEEDS, generation=1, revoked_at=now - timedelta(minutes=1)
        )
    finally:
        await conn.close()
    refused["revoked"] = earlier
    for case, token in refused.items():
        for path in ("plan", "plan.pdf"):
            as_json = await family.get(f"/v1/family/{token}/{path}")
            assert as_json.status_code == 401, (case, path)
            assert as_json.json()["detail"], case
        page = await family.get(f"/v1/family/{token}/plan", headers=HTML)
        assert page.status_code == 401, case
        assert "This link no longer works" in page.text, case
        assert "3-word phrases" not in page.text, case
        assert page.headers["cache-control"] == "no-store"
    later = await family.get(f"/v1/family/{link(referral_id, generation=1)}/plan", headers=HTML)
    assert later.status_code == 200  # a link of the new generation opens it


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


async def test_the_family_downloads_the_plan_as_a_pdf_with_page_numbers(
    plans_url: str, family: httpx.AsyncClient
) -> None:
    referral_id = await seed_plan(plans_url, SPEECH, status="final")
    reference = str(referral_id)[:8].upper()
    response = await family.get(f"/v1/family/{link(referral_id)}/plan.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="support-plan-{reference}.pdf"'
    )
    assert response.headers["cache-control"] == "no-store"
    text = _pdf_text(response.content)
    for said in (
        "Leeds City Council",
        "Your child's support plan",
        f"Support plan {reference}",
        "Version 1",
        "Final plan",
        "By July 2027, your child asks for help in class using 3-word phrases.",
        "16 July 2027",
        IN_WORDS,
        "Page 1 of",
    ):
        assert said in text, said
    assert "Tell us what you think" not in text


async def test_a_caseworker_downloads_any_plan_of_their_council_and_the_read_is_audited(
    plans_url: str, app: FastAPI, identity: IdentityProvider
) -> None:
    referral_id = await seed_plan(plans_url, SPEECH, status="draft")
    async with await _staff(app, identity, "leeds-caseworker") as leeds:
        response = await leeds.get(f"/v1/referrals/{referral_id}/plan.pdf")
        assert response.status_code == 200
        text = _pdf_text(response.content)
        assert "Draft, not yet shared with the family" in text
        assert IN_WORDS in text
        assert (await leeds.get(f"/v1/referrals/{uuid4()}/plan.pdf")).status_code == 404
    async with await _staff(app, identity, "bradford-caseworker") as bradford:
        assert (await bradford.get(f"/v1/referrals/{referral_id}/plan.pdf")).status_code == 404
    conn = await owner_connection(plans_url)
    try:
        audited = await conn.fetch(
            "SELECT actor, action, resource FROM audit_log WHERE referral_id = $1", referral_id
        )
    finally:
        await conn.close()
    assert [tuple(r) for r in audited] == [("leeds-caseworker", "read", "plan-pdf")]


async def test_every_family_read_is_audited_as_the_link(
    plans_url: str, family: httpx.AsyncClient
) -> None:
    referral_id = await seed_plan(plans_url, SPEECH, status="shared")
    await family.get(f"/v1/family/{link(referral_id)}/plan")
    conn = await owner_connection(plans_url)
    try:
        audited = await conn.fetch(
            "SELECT actor, resource, local_authority FROM audit_log WHERE referral_id = $1",
            referral_id,
        )
    finally:
        await conn.close()
    assert len(audited) == 1
    assert audited[0]["actor"].startswith("family-link:")
    assert (audited[0]["resource"], audited[0]["local_authority"]) == ("family-plan", LEEDS)
