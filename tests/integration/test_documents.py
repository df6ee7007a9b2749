"""The document store through the referrals API on real PostgreSQL: a caseworker uploads
evidence, it is typed by content, hashed and kept in the service's own database; each read is
audited; bad uploads are refused naming the file and nothing is stored; another council's
caseworker finds nothing; and a real ClamAV daemon refuses an infected file."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from referrals.documents.content import MAX_DOCUMENT_BYTES

from scripts.platform import IdentityProvider, migrations_of
from shared.migrations import owner_connection
from tests import documents
from tests.clamd import SIGNATURE, clamd
from tests.conftest import Databases
from tests.integration.referrals_app import referral_body, referrals_service, signed_in


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("documents", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


@pytest.fixture
async def owner(owner_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await owner_connection(owner_url)
    yield conn
    await conn.close()


async def _referral(client: httpx.AsyncClient) -> str:
    created = await client.post("/v1/referrals", json=referral_body())
    assert created.status_code == 201, created.text
    referral_id: str = created.json()["id"]
    return referral_id


async def _upload(
    client: httpx.AsyncClient, referral_id: str, name: str, content: bytes, **form: str
) -> httpx.Response:
    return await client.post(
        f"/v1/referrals/{referral_id}/documents",
        files={"file": (name, content, "application/octet-stream")},
        data=form,
    )


async def _stored(owner: asyncpg.Connection, referral_id: str | UUID) -> tuple[int, int]:
    """How many documents the referral has, and how many documents' bytes are stored."""
    rows = await owner.fetchval(
        "SELECT count(*) FROM documents WHERE referral_id = $1", UUID(str(referral_id))
    )
    contents = await owner.fetchval("SELECT count(*) FROM document_contents")
    return rows, contents


async def _reads(owner: asyncpg.Connection, referral_id: str) -> list[tuple[Any, ...]]:
    rows = await owner.fetch(
        """SELECT actor, action, resource FROM audit_log
           WHERE referral_id = $1 AND resource LIKE 'document%' ORDER BY id""",
        UUID(referral_id),
    )
    return [tuple(r) for r in rows]


async def test_evidence_is_uploaded_typed_hashed_listed_and_each_read_audited(
    caseworker: httpx.AsyncClient, owner: asyncpg.Connection
) -> None:
    referral_id = await _referral(caseworker)
    content = documents.pdf("school report")

    uploaded = await _upload(caseworker, referral_id, "Sam's school report.pdf", content)

    assert uploaded.status_code == 201, uploaded.text
    document = uploaded.json()
    assert document["referral_id"] == referral_id
    assert (document["kind"], document["media_type"]) == ("evidence", "application/pdf")
    assert document["size_bytes"] == len(content)
    assert document["sha256"] == hashlib.sha256(content).hexdigest()
    assert document["uploaded_by"] == "leeds-caseworker"
    assert document["filename"] == "Sam's school report.pdf"
    listed = await caseworker.get(f"/v1/referrals/{referral_id}/documents")
    assert [d["id"] for d in listed.json()] == [document["id"]]

    for _ in range(2):
        download = await caseworker.get(f"/v1/referrals/{referral_id}/documents/{document['id']}")
        assert download.status_code == 200
        assert download.content == content
        assert download.headers["content-type"] == "application/pdf"
        # Named by kind and id: the name it was sent with may name the child.
        assert "Sam" not in download.headers["content-disposition"]
        assert download.headers["cache-control"] == "no-store"

    assert await _reads(owner, referral_id) == [
        ("leeds-caseworker", "create", "document"),
        ("leeds-caseworker", "read", "documents"),
        ("leeds-caseworker", "read", "document"),
        ("leeds-caseworker", "read", "document"),
    ]


async def test_the_same_file_sent_again_is_the_same_document(
    caseworker: httpx.AsyncClient, owner: asyncpg.Connection
) -> None:
    referral_id = await _referral(caseworker)
    first = await _upload(caseworker, referral_id, "advice.docx", documents.docx("again"))
    again = await _upload(caseworker, referral_id, "advice.docx", documents.docx("again"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert (await _stored(owner, referral_id))[0] == 1


BAD_UPLOADS = {
    "wrong type": ("notes.txt", b"a letter typed as text", "must be a PDF, a Word document"),
    "renamed executable": ("advice.pdf", documents.windows_program(), "is a program"),
    "name disagrees": ("photo.png", documents.jpeg(), "is a JPEG picture but its name ends"),
    "empty": ("advice.pdf", b"", "is empty"),
    "too big": (
        "advice.pdf",
        documents.pdf().ljust(MAX_DOCUMENT_BYTES + 1, b" "),
        "must be smaller than 20 MB",
    ),
}


@pytest.mark.parametrize("case", BAD_UPLOADS)
async def test_a_bad_upload_is_refused_naming_the_file_and_nothing_is_stored(
    case: str, caseworker: httpx.AsyncClient, owner: asyncpg.Connection
) -> None:
    referral_id = await _referral(caseworker)
    name, content, words = BAD_UPLOADS[case]
    before = await _stored(owner, referral_id)

    refused = await _upload(caseworker, referral_id, name, content)

    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["detail"]
    assert problem["loc"] == ["body", "file"]
    assert words in problem["msg"]
    assert await _stored(owner, referral_id) == before


async def test_a_body_far_over_the_limit_is_refused_before_it_is_read(
    caseworker: httpx.AsyncClient, owner: asyncpg.Connection
) -> None:
    referral_id = await _referral(caseworker)
    refused = await _upload(
        caseworker, referral_id, "advice.pdf", documents.pdf().ljust(22 * 1024 * 1024, b" ")
    )
    assert refused.status_code == 413
    assert (await _stored(owner, referral_id))[0] == 0


async def test_another_councils_caseworker_finds_neither_the_documents_nor_the_referral(
    app: FastAPI, identity: IdentityProvider, caseworker: httpx.AsyncClient
) -> None:
    referral_id = await _referral(caseworker)
    document = (await _upload(caseworker, referral_id, "a.png", documents.png("leeds"))).json()
    path = f"/v1/referrals/{referral_id}/documents"
    async with await signed_in(app, identity, "bradford-caseworker") as bradford:
        assert (await bradford.get(path)).status_code == 404
        assert (await bradford.get(f"{path}/{document['id']}")).status_code == 404
        sent = await _upload(bradford, referral_id, "b.png", documents.png("bradford"))
        assert sent.status_code == 404
    assert len((await caseworker.get(path)).json()) == 1


async def test_an_infected_file_is_refused_by_a_real_clamav_daemon_and_nothing_stored(
    owner_url: str, identity: IdentityProvider, owner: asyncpg.Connection, tmp_path: Path
) -> None:
    infected = documents.pdf("infected advice")
    with clamd(tmp_path, infected) as address:
        async with (
            referrals_service(owner_url, identity, clamd_address=address) as scanning,
            await signed_in(scanning, identity, "leeds-caseworker") as client,
        ):
            referral_id = await _referral(client)
            refused = await _upload(client, referral_id, "advice.pdf", infected)
            clean = await _upload(client, referral_id, "clean.pdf", documents.pdf("clean"))
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["detail"]
    assert (problem["loc"], problem["msg"]) == (
        ["body", "file"],
        "The selected file contains a virus",
    )
    assert SIGNATURE not in refused.text  # what it found is logged, not told
    assert clean.status_code == 201, clean.text
    assert (await _stored(owner, referral_id))[0] == 1


async def test_while_the_scanner_cannot_be_reached_uploads_wait_and_nothing_is_stored(
    owner_url: str, identity: IdentityProvider, owner: asyncpg.Connection, tmp_path: Path
) -> None:
    with clamd(tmp_path, b"never sent") as address:
        pass  # stopped: its port answers nothing now
    async with (
        referrals_service(owner_url, identity, clamd_address=address) as scanning,
        await signed_in(scanning, identity, "leeds-caseworker") as client,
    ):
        referral_id = await _referral(client)
        refused = await _upload(client, referral_id, "advice.pdf", documents.pdf("unscanned"))
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "30"
    assert (await _stored(owner, referral_id))[0] == 0
