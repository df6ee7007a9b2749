"""The documents a family reads through their link, on real PostgreSQL (the referrals service
in-process, the application role): the letters the council stored for them, and nothing else of
the child's record (the council's evidence, advice); every read audited as the link's; a
withdrawn link reads nothing; another referral's link finds none of them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from scripts.platform import IdentityProvider, migrations_of
from shared.migrations import owner_connection
from tests import documents
from tests.conftest import Databases
from tests.integration.plans_family import link
from tests.integration.referrals_app import referral_body, referrals_service, signed_in


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("family-documents", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


@pytest.fixture
async def family(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield client


async def _referral_with_documents(caseworker: httpx.AsyncClient) -> tuple[str, str, str]:
    """A referral with a letter to the family and the council's evidence: their ids."""
    created = await caseworker.post("/v1/referrals", json=referral_body())
    assert created.status_code == 201, created.text
    referral_id = created.json()["id"]
    ids = []
    for kind, name, content in (
        ("letter", "letter.pdf", documents.pdf("letter")),
        ("evidence", "evidence.png", documents.png("e")),
    ):
        sent = await caseworker.post(
            f"/v1/referrals/{referral_id}/documents",
            files={"file": (name, content, "application/octet-stream")},
            data={"kind": kind},
        )
        assert sent.status_code == 201, sent.text
        ids.append(sent.json()["id"])
    return referral_id, ids[0], ids[1]


async def _family_reads(owner_url: str, referral_id: str) -> list[asyncpg.Record]:
    conn = await owner_connection(owner_url)
    try:
        return await conn.fetch(
            "SELECT actor, resource FROM audit_log WHERE referral_id = $1 AND action = 'read' "
            "AND actor LIKE 'family-link:%' ORDER BY id",
            UUID(referral_id),
        )
    finally:
        await conn.close()


async def test_the_family_reads_their_letters_and_nothing_else_each_read_audited(
    caseworker: httpx.AsyncClient, family: httpx.AsyncClient, owner_url: str
) -> None:
    referral_id, letter, evidence = await _referral_with_documents(caseworker)
    token = link(UUID(referral_id))

    listed = await family.get(f"/v1/family/{token}/documents")
    assert listed.status_code == 200, listed.text
    assert [d["id"] for d in listed.json()] == [letter]
    read = await family.get(f"/v1/family/{token}/documents/{letter}")
    assert read.status_code == 200, read.text
    assert read.content == documents.pdf("letter")
    assert read.headers["content-type"] == "application/pdf"
    assert "attachment" in read.headers["content-disposition"]

    refused = await family.get(f"/v1/family/{token}/documents/{evidence}")
    assert refused.status_code == 404, refused.text
    assert (await family.get(f"/v1/family/{token}/documents/{uuid4()}")).status_code == 404

    reads = [tuple(r) for r in await _family_reads(owner_url, referral_id)]
    assert [resource for _, resource in reads] == ["documents", "document"]
    # The caseworker's list says which of them the family may see.
    staff = (await caseworker.get(f"/v1/referrals/{referral_id}/documents")).json()
    assert {d["id"]: d["family_may_see"] for d in staff} == {letter: True, evidence: False}


async def test_another_referrals_link_and_a_withdrawn_link_read_none_of_them(
    caseworker: httpx.AsyncClient, family: httpx.AsyncClient
) -> None:
    referral_id, letter, _ = await _referral_with_documents(caseworker)
    other, _, _ = await _referral_with_documents(caseworker)
    theirs = link(UUID(other))
    assert letter not in {
        d["id"] for d in (await family.get(f"/v1/family/{theirs}/documents")).json()
    }
    assert (await family.get(f"/v1/family/{theirs}/documents/{letter}")).status_code == 404

    token = link(UUID(referral_id))
    revoked = await caseworker.post(
        f"/v1/referrals/{referral_id}/family-link/revoke", json={"reason": "lost phone"}
    )
    assert revoked.status_code == 204, revoked.text
    for path in ("", f"/{letter}"):
        withdrawn = await family.get(f"/v1/family/{token}/documents{path}")
        assert withdrawn.status_code == 401, withdrawn.text
