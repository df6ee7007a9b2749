"""Referrals with ``DOCUMENT_STORE=s3``, against real PostgreSQL and moto's standalone S3 server:
an upload through the API is kept as an object of the bucket (and not in PostgreSQL), is
downloaded from there, and the retention job removes its bytes from the bucket."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from referrals.app import PUBLISHES
from referrals.documents.s3 import Bucket, S3Store
from referrals.retention import erase_past_retention, remove_erased_documents
from referrals.state import referrals_of

from scripts.platform import IdentityProvider, free_port, migrations_of, service_url
from shared.migrations import owner_connection
from shared.outbox import Outbox
from shared.state import service_state
from tests import documents
from tests.conftest import Databases
from tests.handling import units_of_work
from tests.integration.referrals_app import LEEDS, referral_body, referrals_service, signed_in
from tests.s3 import objects_in, s3_server

WORK = units_of_work(Outbox(source="/send-platform/referrals", declared=PUBLISHES))


@pytest.fixture(scope="module")
def bucket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bucket]:
    with s3_server(tmp_path_factory.mktemp("s3"), "send-referrals-documents") as found:
        yield found


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("documents-in-s3", "referrals", migrations_of("referrals"))


@pytest.fixture
async def app(owner_url: str, identity: IdentityProvider, bucket: Bucket) -> AsyncIterator[FastAPI]:
    async with referrals_service(
        owner_url,
        identity,
        document_store="s3",
        s3_bucket=bucket.name,
        s3_region=bucket.region,
        s3_endpoint_url=bucket.endpoint_url,
        s3_access_key_id=bucket.access_key_id,
        s3_secret_access_key=bucket.secret_access_key,
    ) as running:
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


async def _contents_in_postgres(owner_url: str) -> int:
    owner = await owner_connection(owner_url)
    try:
        count: int = await owner.fetchval("SELECT count(*) FROM document_contents")
        return count
    finally:
        await owner.close()


async def test_an_upload_is_kept_in_the_bucket_and_downloaded_from_it(
    app: FastAPI, identity: IdentityProvider, owner_url: str, bucket: Bucket
) -> None:
    state = service_state(app)
    assert isinstance(referrals_of(state.own).document_store(state.database), S3Store)
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        referral_id, document_id = await _with_document(client, "2016-05-01")
        assert f"{LEEDS}/{document_id}" in objects_in(bucket)
        assert await _contents_in_postgres(owner_url) == 0  # the bytes are not in PostgreSQL
        got = await client.get(f"/v1/referrals/{referral_id}/documents/{document_id}")
        assert got.status_code == 200, got.text
        assert got.content == documents.pdf("2016-05-01")


async def test_retention_removes_an_erased_childs_bytes_from_the_bucket(
    app: FastAPI, identity: IdentityProvider, owner_url: str, bucket: Bucket
) -> None:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        old_referral, old_document = await _with_document(client, "2009-02-01")
        _, young_document = await _with_document(client, "2021-02-01")
        assert {f"{LEEDS}/{old_document}", f"{LEEDS}/{young_document}"} <= objects_in(bucket)
        state = service_state(app)
        store = referrals_of(state.own).document_store(state.database)  # DOCUMENT_STORE's
        service = await asyncpg.connect(service_url(owner_url))
        try:
            # In 2041 the child born in 2009 is past a 31-year period: 2021's is not.
            await erase_past_retention(WORK, service, today=date(2041, 3, 1), years=31)
            removed = await remove_erased_documents(WORK, store, service)
        finally:
            await service.close()

        assert removed == 1
        kept = objects_in(bucket)
        assert f"{LEEDS}/{old_document}" not in kept
        assert f"{LEEDS}/{young_document}" in kept
        gone = await client.get(f"/v1/referrals/{old_referral}/documents/{old_document}")
        assert gone.status_code == 404


async def test_an_unreachable_bucket_refuses_the_upload_for_now_and_records_nothing(
    owner_url: str, identity: IdentityProvider, bucket: Bucket
) -> None:
    assert bucket.secret_access_key is not None
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    async with (
        referrals_service(
            owner_url,
            identity,
            document_store="s3",
            s3_bucket=bucket.name,
            s3_endpoint_url=nowhere,
            s3_access_key_id=bucket.access_key_id,
            s3_secret_access_key=bucket.secret_access_key,
        ) as app,
        await signed_in(app, identity, "leeds-caseworker") as client,
    ):
        created = await client.post("/v1/referrals", json=referral_body(date_of_birth="2017-01-01"))
        referral_id = created.json()["id"]
        refused = await client.post(
            f"/v1/referrals/{referral_id}/documents",
            files={"file": ("advice.pdf", documents.pdf("nowhere"), "application/pdf")},
        )
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == "5"
        assert refused.json()["detail"].startswith("Documents cannot be stored")  # not the database
        assert nowhere not in refused.text
        assert bucket.secret_access_key.get_secret_value() not in refused.text
        listed = await client.get(f"/v1/referrals/{referral_id}/documents")
        assert listed.json() == []
