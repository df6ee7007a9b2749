"""Evidence uploaded on the public form before its request is sent (no account), on real
PostgreSQL through the referrals API: checked as every upload is (a renamed program is refused
naming the file, nothing stored), kept for the council chosen; named by the request, it is the
referral's once the request is confirmed, and the family reads it through their link; a
request naming a file that is not there is refused naming ``evidence`` and not kept; an upload
no request named within a day is erased by the retention job, and so is the evidence of a
request never taken in once retention erases its details."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from referrals.documents.store import PostgresStore
from referrals.retention import (
    erase_past_retention,
    erase_unclaimed_evidence,
    remove_erased_documents,
)

from scripts.platform import IdentityProvider, migrations_of
from shared.dates import london_today
from shared.migrations import owner_connection
from shared.state import service_state
from tests import documents
from tests.conftest import Databases
from tests.integration.plans_family import link
from tests.integration.referrals_app import LEEDS, referrals_service, signed_in
from tests.integration.test_public_requests import KEY, confirmation_link, request_body


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("public-evidence", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity, family_link_key=KEY) as running:
        yield running


@pytest.fixture
async def public(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield client


async def _upload(public: httpx.AsyncClient, name: str, content: bytes) -> httpx.Response:
    return await public.post(
        "/v1/public/evidence",
        files={"file": (name, content, "application/octet-stream")},
        data={"local_authority": LEEDS},
    )


async def _documents(owner_url: str) -> int:
    conn = await owner_connection(owner_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM documents"))
    finally:
        await conn.close()


async def test_evidence_sent_with_a_request_is_the_referrals_once_confirmed_and_the_familys(
    app: FastAPI, public: httpx.AsyncClient, identity: IdentityProvider, owner_url: str
) -> None:
    uploaded = await _upload(public, "Nursery report.pdf", documents.pdf("nursery"))
    assert uploaded.status_code == 201, uploaded.text
    evidence = uploaded.json()
    assert (evidence["filename"], evidence["media_type"]) == (
        "Nursery report.pdf",
        "application/pdf",
    )

    made = await public.post(
        "/v1/public/requests", json={**request_body(), "evidence": [evidence["id"]]}
    )
    assert made.status_code == 201, made.text
    conn = await owner_connection(owner_url)
    try:
        request_id = await conn.fetchval(
            "SELECT public_request_id FROM documents WHERE id = $1", UUID(evidence["id"])
        )
    finally:
        await conn.close()
    assert request_id is not None
    confirmed = await public.post(
        "/v1/public/requests/confirm", json={"token": confirmation_link(str(request_id))}
    )
    assert confirmed.status_code == 200, confirmed.text

    async with await signed_in(app, identity, "leeds-caseworker") as caseworker:
        listed = (await caseworker.get(f"/v1/referrals/{request_id}/documents")).json()
    assert [(d["id"], d["kind"], d["family_may_see"]) for d in listed] == [
        (evidence["id"], "evidence", True)
    ]
    token = link(request_id, key=KEY)
    family = (await public.get(f"/v1/family/{token}/documents")).json()
    assert [d["id"] for d in family] == [evidence["id"]]
    read = await public.get(f"/v1/family/{token}/documents/{evidence['id']}")
    assert read.content == documents.pdf("nursery")


async def test_a_bad_file_is_refused_naming_the_file_and_nothing_is_stored(
    public: httpx.AsyncClient, owner_url: str
) -> None:
    before = await _documents(owner_url)
    for name, content in (
        ("report.pdf", documents.windows_program()),
        ("photo.png", documents.jpeg()),
        ("empty.pdf", b""),
    ):
        refused = await _upload(public, name, content)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"] == ["body", "file"]
    elsewhere = await public.post(
        "/v1/public/evidence",
        files={"file": ("a.pdf", documents.pdf(), "application/octet-stream")},
        data={"local_authority": "E09000001"},  # not a council this deployment serves
    )
    assert elsewhere.status_code == 422, elsewhere.text
    assert await _documents(owner_url) == before


async def test_a_request_naming_a_file_not_there_is_refused_and_not_kept(
    public: httpx.AsyncClient,
) -> None:
    made = await public.post(
        "/v1/public/requests", json={**request_body(), "evidence": [str(uuid4())]}
    )
    assert made.status_code == 422, made.text
    assert made.json()["detail"][0]["loc"] == ["body", "evidence"]


async def test_an_upload_no_request_named_within_a_day_is_erased(
    app: FastAPI, public: httpx.AsyncClient, owner_url: str
) -> None:
    uploaded = await _upload(public, "Left behind.pdf", documents.pdf("left behind"))
    assert uploaded.status_code == 201, uploaded.text
    document_id = UUID(uploaded.json()["id"])
    conn = await owner_connection(owner_url)
    try:
        await conn.execute(
            "UPDATE documents SET uploaded_at = now() - interval '25 hours' WHERE id = $1",
            document_id,
        )
        state = service_state(app)
        async with state.database.pool().acquire() as own:  # the service's own role
            assert await erase_unclaimed_evidence(state.work, own) >= 1
            await remove_erased_documents(state.work, PostgresStore(state.database), own)
        row = await conn.fetchrow(
            "SELECT filename, erased_at, content_removed_at FROM documents WHERE id = $1",
            document_id,
        )
        gone = await conn.fetchval(
            "SELECT count(*) FROM document_contents WHERE document_id = $1", document_id
        )
    finally:
        await conn.close()
    assert row is not None
    assert row["filename"] == "erased"
    assert row["content_removed_at"] is not None
    assert gone == 0


async def test_the_evidence_of_a_request_never_taken_in_goes_with_its_details(
    app: FastAPI, public: httpx.AsyncClient, owner_url: str
) -> None:
    uploaded = await _upload(public, "Old report.pdf", documents.pdf("old report"))
    document_id = uploaded.json()["id"]
    made = await public.post(
        "/v1/public/requests",
        json={**request_body(date_of_birth="2008-01-10"), "evidence": [document_id]},
    )
    assert made.status_code == 201, made.text
    state = service_state(app)
    async with state.database.pool().acquire() as own:  # the service's own role
        await erase_past_retention(
            state.work, own, today=london_today(), years=125, by_council={LEEDS: 1}
        )
    conn = await owner_connection(owner_url)
    try:
        row = await conn.fetchrow(
            "SELECT filename, erased_at FROM documents WHERE id = $1", UUID(document_id)
        )
    finally:
        await conn.close()
    assert row is not None
    assert row["filename"] == "erased"
    assert row["erased_at"] is not None
