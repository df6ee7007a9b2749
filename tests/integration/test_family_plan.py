"""The family's plan (JSON, which the workspace's page renders) and its PDF, against real
PostgreSQL: plain words, only this referral's plan, only once it is shared, refused for a bad,
expired or revoked link."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from plans.family import repository as family_repository
from pydantic import SecretStr
from pypdf import PdfReader

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider, migrations_of
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.plans_family import BRADFORD, LEEDS, link, plans_service, seed_plan
from tests.plan_documents import plans_by_area

SPEECH = plans_by_area()["communication-and-interaction"]
IN_WORDS = (
    "Twice a week, 30 minutes each time, for 12 weeks, in a group of up to 4 children, "
    "at school, with a speech and language therapist."
)


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


def _said(answer: httpx.Response) -> str:
    """Every string in a family's JSON, one text (as a page would show them)."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(answer.json())
    return " | ".join(found)


async def test_a_shared_plan_is_in_plain_words_and_open_for_comments(
    plans_url: str, family: httpx.AsyncClient
) -> None:
    referral_id = await seed_plan(plans_url, SPEECH, status="shared")
    answer = await family.get(f"/v1/family/{link(referral_id)}/plan")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["reference"] == str(referral_id)[:8].upper()
    assert body["local_authority"] == LEEDS
    assert body["council"]["name"] == "Leeds City Council"
    assert body["title"] == "Your child's support plan"
    assert body["preparing"] is None
    plan = body["plan"]
    assert plan["status_words"] == "Shared with you for your comments"
    assert plan["comments_open"] is True
    assert plan["track"] == "support"
    assert plan["headings"]["B"] == "What your child finds hard"
    said = _said(answer)
    for words in (
        "Your child finds it hard to put words together",
        "By July 2027, your child asks for help in class using 3-word phrases.",
        "16 July 2027",
        IN_WORDS,
        "A speech and language therapist",
        "SLCN-EXPR-01",
    ):
        assert words in said, words
    for never in ("need-1", "outcome-1", "speech_and_language_therapy", "primary_need"):
        assert never not in answer.text, never
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["referrer-policy"] == "no-referrer"


async def test_until_it_is_shared_the_family_reads_that_the_plan_is_being_prepared(
    plans_url: str, family: httpx.AsyncClient
) -> None:
    for status in ("draft", "needs_attention", "changes_requested"):
        referral_id = await seed_plan(plans_url, SPEECH, status=status)
        answer = await family.get(f"/v1/family/{link(referral_id)}/plan")
        assert answer.status_code == 200, status
        assert answer.json()["plan"] is None, status
        assert answer.json()["preparing"], status
        assert "3-word phrases" not in answer.text, status
        pdf = await family.get(f"/v1/family/{link(referral_id)}/plan.pdf")
        assert pdf.status_code == 404, status
    nothing_yet = await family.get(f"/v1/family/{link(uuid4())}/plan")
    assert nothing_yet.json()["plan"] is None
    assert nothing_yet.json()["preparing"]
    older_shape = await seed_plan(
        plans_url, {"B": {"primary_need": "SLCN"}, "E": [{"outcome": "x"}]}, status="shared"
    )
    answer = await family.get(f"/v1/family/{link(older_shape)}/plan")
    assert answer.json()["plan"] is None


async def test_an_agreed_or_final_plan_is_closed_for_comments_and_an_ehc_draft_is_open(
    plans_url: str, family: httpx.AsyncClient
) -> None:
    for status in ("agreed", "final", "review_due"):
        referral_id = await seed_plan(plans_url, SPEECH, status=status)
        answer = await family.get(f"/v1/family/{link(referral_id)}/plan")
        assert IN_WORDS in _said(answer), status
        assert answer.json()["plan"]["comments_open"] is False, status
    hearing = plans_by_area()["sensory-and-physical"]
    referral_id = await seed_plan(plans_url, hearing, status="issued_for_comment")
    answer = await family.get(f"/v1/family/{link(referral_id)}/plan")
    plan = answer.json()["plan"]
    assert (plan["track"], plan["comments_open"]) == ("ehc", True)
    said = _said(answer)
    assert "Health care your child will get" in said
    assert "Once every 4 weeks, 45 minutes each time, for 4 weeks" in said
    assert "in the audiology clinic, with an NHS audiologist." in said
    assert "Once every 2 weeks, 1 hour each time, for 36 weeks, on their own with the adult" in said


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
    answer = await family.get(f"/v1/family/{link(mine)}/plan")
    assert answer.status_code == 200
    assert marker.strip() not in answer.text
    assert all(str(other)[:8].upper() not in answer.text for other in others)
    # A link naming another council than the referral's opens nothing of it.
    elsewhere = await family.get(f"/v1/family/{link(mine, BRADFORD)}/plan")
    assert elsewhere.json()["plan"] is None
    assert "3-word phrases" not in elsewhere.text


async def test_a_bad_expired_or_revoked_link_is_refused(
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
            answer = await family.get(f"/v1/family/{token}/{path}")
            assert answer.status_code == 401, (case, path)
            assert answer.json()["detail"], case
            assert "3-word phrases" not in answer.text, case
            assert answer.headers["cache-control"] == "no-store"
    later = await family.get(f"/v1/family/{link(referral_id, generation=1)}/plan")
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
