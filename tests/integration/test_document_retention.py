"""The retention job erases a child's documents with their details: the document's name at
once (in the erasure's unit of work), its bytes from the store after that commits; a download
then finds nothing, and the document's type, size and hash stay, as the referral's codes do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from uuid import UUID

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from referrals.app import PUBLISHES
from referrals.documents.store import PostgresStore
from referrals.retention import erase_past_retention, remove_erased_documents

from scripts.platform import IdentityProvider, migrations_of, service_url
from shared.migrations import owner_connection
from shared.outbox import Outbox
from shared.state import service_state
from tests import documents
from tests.conftest import Databases
from tests.handling import units_of_work
from tests.integration.referrals_app import referral_body, referrals_service, signed_in

WORK = units_of_work(Outbox(source="/send-platform/referrals", declared=PUBLISHES))


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("document-retention", "referrals", migrations_of("referrals"))


@pytest.fixture
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


async def _with_document(client: httpx.AsyncClient, born: str) -> tuple[str, str]:
    created = await client.post(
        "/v1/referrals", json=referral_body(date_of_birth=born, track="support")
    )
    assert created.status_code == 201, created.text
    referral_id = created.json()["id"]
    uploaded = await client.post(
        f"/v1/referrals/{referral_id}/documents",
        files={"file": ("Sam's advice.pdf", documents.pdf(born), "application/pdf")},
    )
    assert uploaded.status_code == 201, uploaded.text
    return referral_id, uploaded.json()["id"]


async def test_a_childs_documents_are_erased_with_their_details_and_their_bytes_removed(
    app: FastAPI, identity: IdentityProvider, owner_url: str
) -> None:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        old_referral, old_document = await _with_document(client, "2010-02-01")
        young_referral, young_document = await _with_document(client, "2020-02-01")
        service = await asyncpg.connect(service_url(owner_url))
        try:
            # In 2042 the child born in 2010 is past a 31-year period: 2020's is not.
            erased = await erase_past_retention(WORK, service, today=date(2042, 3, 1), years=31)
            removed = await remove_erased_documents(
                WORK, PostgresStore(service_state(app).database), service
            )
            again = await remove_erased_documents(
                WORK, PostgresStore(service_state(app).database), service
            )
        finally:
            await service.close()

        assert (erased, removed, again) == (1, 1, 0)
        listed = (await client.get(f"/v1/referrals/{old_referral}/documents")).json()
        assert [(d["filename"], d["erased"]) for d in listed] == [("erased", True)]
        assert listed[0]["sha256"]  # what it was stays; who it was about goes
        gone = await client.get(f"/v1/referrals/{old_referral}/documents/{old_document}")
        assert gone.status_code == 404
        kept = await client.get(f"/v1/referrals/{young_referral}/documents/{young_document}")
        assert kept.content == documents.pdf("2020-02-01")

    owner = await owner_connection(owner_url)
    try:
        contents = {
            r["document_id"] for r in await owner.fetch("SELECT document_id FROM document_contents")
        }
        assert contents == {UUID(young_document)}
        removals = await owner.fetch(
            """SELECT actor, action, referral_id FROM audit_log
               WHERE resource = 'document-content'"""
        )
        assert [tuple(r) for r in removals] == [
            ("system:retention", "erase", UUID(old_referral))
        ]  # the bytes' removal is audited, once
    finally:
        await owner.close()
