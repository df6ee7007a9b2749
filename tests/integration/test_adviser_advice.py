"""An adviser returns their advice through their link (SEND Regulations 2014, regs 6 and 8),
on real PostgreSQL: the link shows what is asked, about whom and by when (not the record); the
advice comes back as a document and a short summary, is received on the clock once (on time
or not), and ``AdviceReceived`` carries the document's id and the summary for section K. A
link opens one referral's one kind of advice and nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import jwt
import pytest
from fastapi import FastAPI

from scripts.platform import IdentityProvider, migrations_of
from shared import adviser_links, family_links
from shared.dates import london_today
from shared.migrations import owner_connection
from shared.state import service_state
from tests import documents
from tests.conftest import Databases
from tests.integration.referrals_app import (
    outbox_events,
    referral_body,
    referrals_service,
    signed_in,
)

KINDS_ASKED = ["educational_psychology", "medical"]
SUMMARY = {
    "needs": "Finds it hard to follow spoken instructions in class",
    "outcomes_sought": "Follows two-step instructions in class by the end of Year 4",
    "provision_recommended": "Small-group language sessions, three times a week",
}


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("advisers", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


@pytest.fixture
async def adviser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """No account: only the link in the path."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def _advice_asked(client: httpx.AsyncClient, *, asked_days_ago: int) -> dict[str, Any]:
    """An EHC request being assessed, with psychological and medical advice asked for."""
    asked_on = london_today() - timedelta(days=asked_days_ago)
    created = await client.post(
        "/v1/referrals",
        json=referral_body(track="ehc", received_on=asked_on - timedelta(days=14)),
    )
    assert created.status_code == 201, created.text
    referral = created.json()
    path = f"/v1/referrals/{referral['id']}"
    for step, body in (
        ("assessment-decision", {"decision": "assess", "decided_on": str(asked_on)}),
        ("advice-requests", {"kinds": KINDS_ASKED, "requested_on": str(asked_on)}),
    ):
        taken = await client.post(f"{path}/{step}", json=body)
        assert taken.status_code == 200, taken.text
    answer: dict[str, Any] = referral
    return answer


def _link(app: FastAPI, referral: dict[str, Any], kind: str = "educational_psychology") -> str:
    return adviser_links.mint(
        service_state(app).family_link_key,
        referral_id=UUID(referral["id"]),
        local_authority=referral["local_authority"],
        kind=kind,
        valid_for=timedelta(weeks=8),
    )


async def _return(
    adviser: httpx.AsyncClient,
    token: str,
    content: bytes = b"",
    name: str = "advice.pdf",
    **summary: str,
) -> httpx.Response:
    return await adviser.post(
        f"/v1/advisers/{token}/advice",
        files={"file": (name, content or documents.pdf(token[-12:]), "application/pdf")},
        data={**SUMMARY, **summary},
    )


async def test_the_link_shows_what_is_asked_about_whom_and_by_when_audited_as_the_link(
    app: FastAPI,
    caseworker: httpx.AsyncClient,
    adviser: httpx.AsyncClient,
    owner_url: str,
    today: date,
) -> None:
    referral = await _advice_asked(caseworker, asked_days_ago=10)
    token = _link(app, referral)

    asked = await adviser.get(f"/v1/advisers/{token}")

    assert asked.status_code == 200, asked.text
    child = referral_body()["child"]  # the shape: the names are the referral's own
    body = asked.json()
    assert set(body) == {
        "reference", "local_authority", "kind", "given_name", "family_name", "date_of_birth",
        "requested_on", "due_on", "received_on",
    }  # fmt: skip
    assert body["reference"] == referral["id"][:8].upper()
    assert body["kind"] == "educational_psychology"
    assert body["given_name"].startswith("Given")
    assert body["date_of_birth"] == child["date_of_birth"]
    assert body["requested_on"] == str(today - timedelta(days=10))
    assert body["due_on"] == str(today - timedelta(days=10) + timedelta(weeks=6))
    assert body["received_on"] is None
    conn = await owner_connection(owner_url)
    try:
        actor = await conn.fetchval(
            "SELECT actor FROM audit_log WHERE referral_id = $1 AND resource = 'advice-request'",
            UUID(referral["id"]),
        )
    finally:
        await conn.close()
    assert actor.startswith("adviser-link:")


async def test_advice_returned_is_received_on_the_clock_once_with_its_document_and_summary(
    app: FastAPI,
    caseworker: httpx.AsyncClient,
    adviser: httpx.AsyncClient,
    owner_url: str,
    today: date,
) -> None:
    referral = await _advice_asked(caseworker, asked_days_ago=10)
    token = _link(app, referral)
    advice = documents.pdf("educational psychology advice")

    returned = await _return(adviser, token, advice)

    assert returned.status_code == 201, returned.text
    assert returned.json()["received_on"] == str(today)
    [received] = [
        d for t, d in await outbox_events(owner_url, referral["id"]) if "advice-received" in t
    ]
    assert (received["kind"], received["on_time"]) == ("educational_psychology", True)
    assert received["summary"] == SUMMARY
    listed = [  # beside the decision's letter (#21)
        d
        for d in (await caseworker.get(f"/v1/referrals/{referral['id']}/documents")).json()
        if d["kind"] != "letter"
    ]
    assert [(d["id"], d["kind"], d["advice_kind"]) for d in listed] == [
        (received["document_id"], "advice", "educational_psychology")
    ]
    assert listed[0]["uploaded_by"].startswith("adviser-link:")
    download = await caseworker.get(
        f"/v1/referrals/{referral['id']}/documents/{received['document_id']}"
    )
    assert download.content == advice
    ehc = (await caseworker.get(f"/v1/referrals/{referral['id']}")).json()["ehc"]
    by_kind = {a["kind"]: a for a in ehc["advice"]}
    assert by_kind["educational_psychology"]["received_on"] == str(today)
    assert by_kind["medical"]["received_on"] is None  # the link's kind only

    again = await _return(adviser, token, documents.pdf("a second go"))
    assert again.status_code == 409
    after = (await caseworker.get(f"/v1/referrals/{referral['id']}/documents")).json()
    assert len([d for d in after if d["kind"] != "letter"]) == 1


async def test_late_advice_is_received_as_late(
    app: FastAPI, caseworker: httpx.AsyncClient, adviser: httpx.AsyncClient, owner_url: str
) -> None:
    referral = await _advice_asked(caseworker, asked_days_ago=50)
    assert (await _return(adviser, _link(app, referral))).status_code == 201
    [received] = [
        d for t, d in await outbox_events(owner_url, referral["id"]) if "advice-received" in t
    ]
    assert received["on_time"] is False


@pytest.mark.parametrize(
    ("name", "content", "summary", "field"),
    [
        ("advice.pdf", documents.windows_program(), {}, "file"),
        ("advice.docx", documents.pdf("mislabelled"), {}, "file"),
        ("advice.pdf", b"", {"needs": " "}, "needs"),
    ],
)
async def test_bad_advice_is_refused_naming_the_field_and_nothing_is_received_or_stored(
    name: str,
    content: bytes,
    summary: dict[str, str],
    field: str,
    app: FastAPI,
    caseworker: httpx.AsyncClient,
    adviser: httpx.AsyncClient,
    owner_url: str,
) -> None:
    referral = await _advice_asked(caseworker, asked_days_ago=3)
    refused = await _return(adviser, _link(app, referral), content, name, **summary)
    assert refused.status_code == 422, refused.text
    assert field in [p["loc"][-1] for p in refused.json()["detail"]]
    assert await _nothing_received(owner_url, referral["id"])


async def test_a_link_opens_only_its_own_referrals_kind_of_advice(
    app: FastAPI, caseworker: httpx.AsyncClient, adviser: httpx.AsyncClient, owner_url: str
) -> None:
    referral = await _advice_asked(caseworker, asked_days_ago=3)
    key = service_state(app).family_link_key
    ids = {"referral_id": UUID(referral["id"]), "local_authority": referral["local_authority"]}
    not_asked = _link(app, referral, kind="social_care")
    expired = adviser_links.mint(
        key,
        **ids,
        kind="medical",
        valid_for=timedelta(days=1),
        now=datetime.now(UTC) - timedelta(days=9),
    )
    family = family_links.mint(key, **ids, valid_for=timedelta(days=90))
    forged = jwt.encode(
        jwt.decode(_link(app, referral), options={"verify_signature": False}),
        "a key that is not the service's link key, long enough",
        algorithm="HS256",
    )
    assert (await adviser.get(f"/v1/advisers/{not_asked}")).status_code == 404
    assert (await _return(adviser, not_asked)).status_code == 404
    for refused in (expired, family, forged, "x" * 40):
        answer = await adviser.get(f"/v1/advisers/{refused}")
        assert answer.status_code == 401, refused
        assert answer.json() == {"detail": adviser_links.REFUSED}
        assert (await _return(adviser, refused)).status_code == 401
    # An adviser's link is no family's link either.
    assert (await adviser.get(f"/v1/family/{_link(app, referral)}")).status_code == 401
    assert await _nothing_received(owner_url, referral["id"])


async def _nothing_received(owner_url: str, referral_id: str) -> bool:
    conn: asyncpg.Connection = await owner_connection(owner_url)
    try:
        received = await conn.fetchval(
            """SELECT count(*) FROM advice_requests
               WHERE referral_id = $1 AND received_on IS NOT NULL""",
            UUID(referral_id),
        )
        stored = await conn.fetchval(
            # the decision to assess wrote its letter (#21): no other document
            "SELECT count(*) FROM documents WHERE referral_id = $1 AND kind <> 'letter'",
            UUID(referral_id),
        )
    finally:
        await conn.close()
    return (received, stored) == (0, 0)
