"""What every ``DocumentStore`` does (a contract, run against each store built): bytes put are
got back, putting again is harmless, removed bytes are missing, and one council's key never
reaches another council's bytes. Today's only store is PostgreSQL, run for real."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from referrals.documents.store import ContentMissing, DocumentStore, PostgresStore, StoredKey

from scripts.platform import migrations_of, service_url
from shared.db import Database
from tests import documents
from tests.conftest import Databases

LEEDS, BRADFORD = "E08000035", "E08000032"


@pytest.fixture(scope="module")
async def store(databases: Databases) -> AsyncIterator[DocumentStore]:
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
