"""What every ``DocumentStore`` does (a contract, run against each store built): bytes put are
got back, putting again is harmless, removed bytes are missing, and one council's key never
reaches another council's bytes. Each store is run for real: PostgreSQL, and S3 against moto's
standalone S3 server (``tests.s3``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import pytest
from referrals.documents.s3 import S3Store
from referrals.documents.store import ContentMissing, DocumentStore, PostgresStore, StoredKey

from scripts.platform import migrations_of, service_url
from shared.db import Database
from tests import documents
from tests.conftest import Databases
from tests.s3 import objects_in, s3_server

LEEDS, BRADFORD = "E08000035", "E08000032"


@pytest.fixture(scope="module", params=["postgres", "s3"])
async def store(
    request: pytest.FixtureRequest, databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[DocumentStore]:
    if request.param == "s3":
        with s3_server(tmp_path_factory.mktemp("s3"), "send-documents") as bucket:
            s3 = S3Store(bucket)
            try:
                yield s3
            finally:
                s3.close()
        return
    owner_url = await databases.fresh("document-store", "referrals", migrations_of("referrals"))
    database = Database(service_url(owner_url))  # the application role, under row-level security
    await database.open()
    try:
        yield PostgresStore(database)
    finally:
        await database.close()


async def test_bytes_put_are_got_back_and_putting_again_is_harmless(store: DocumentStore) -> None:
    key = StoredKey(uuid4(), LEEDS)
    await store.put(key, documents.pdf("first"))
    await store.put(key, documents.pdf("first"))
    assert await store.get(key) == documents.pdf("first")


async def test_removed_bytes_are_missing_and_removing_again_is_harmless(
    store: DocumentStore,
) -> None:
    key = StoredKey(uuid4(), LEEDS)
    await store.put(key, documents.png("gone"))
    await store.remove(key)
    await store.remove(key)
    with pytest.raises(ContentMissing):
        await store.get(key)


async def test_another_councils_key_reaches_nothing(store: DocumentStore) -> None:
    document_id = uuid4()
    await store.put(StoredKey(document_id, LEEDS), documents.jpeg("leeds"))
    with pytest.raises(ContentMissing):
        await store.get(StoredKey(document_id, BRADFORD))
    await store.remove(StoredKey(document_id, BRADFORD))
    assert await store.get(StoredKey(document_id, LEEDS)) == documents.jpeg("leeds")


async def test_missing_bytes_are_missing(store: DocumentStore) -> None:
    with pytest.raises(ContentMissing):
        await store.get(StoredKey(uuid4(), LEEDS))


async def test_s3_keeps_one_object_a_document_in_its_councils_folder(
    tmp_path: Path,
) -> None:
    """The bucket holds ids only: ``<council>/<document id>``, and a removal removes it."""
    with s3_server(tmp_path, "send-documents-keys") as bucket:
        s3 = S3Store(bucket)
        try:
            key = StoredKey(uuid4(), LEEDS)
            await s3.put(key, documents.pdf("kept"))
            assert objects_in(bucket) == {f"{LEEDS}/{key.document_id}"}
            await s3.remove(key)
            assert objects_in(bucket) == set()
        finally:
            s3.close()
