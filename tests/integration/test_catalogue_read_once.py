"""A consumed batch of referrals reads the plans catalogue in force once per council, not once
per referral it drafts (issue #25), on a real plans database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast
from uuid import uuid4

import asyncpg
import pytest
from plans.catalogue_store import catalogue_in_force

from scripts.platform import migrations_of
from shared.db import Connection
from shared.referral_locks import referrals_locked
from shared.services import LOCAL_SERVICE_USER, with_user
from tests.conftest import Databases

LEEDS, BRADFORD = "E08000035", "E08000032"


class CountingReads:
    """A connection counting its reads of the catalogue's versions."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn
        self.catalogue_reads = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    async def fetch(self, sql: str, *args: Any) -> Any:
        self.catalogue_reads += "FROM catalogue_versions" in sql
        return await self._conn.fetch(sql, *args)


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("catalogue-read-once", "plans", migrations_of("plans"))


@pytest.fixture
async def conn(owner_url: str) -> AsyncIterator[CountingReads]:
    connection = await asyncpg.connect(with_user(owner_url, LOCAL_SERVICE_USER, LOCAL_SERVICE_USER))
    yield CountingReads(connection)
    await connection.close()


async def test_a_batch_reads_the_catalogue_in_force_once_per_council(conn: CountingReads) -> None:
    db = cast("Connection", conn)  # a connection, its reads counted
    async with conn.transaction(), referrals_locked(db, [str(uuid4()), str(uuid4())]):
        first = await catalogue_in_force(db, LEEDS)
        again = await catalogue_in_force(db, LEEDS)
        bradford = await catalogue_in_force(db, BRADFORD)
    assert again == first
    assert bradford.versions[0] == first.versions[0]  # the same national version
    assert conn.catalogue_reads == 2  # Leeds once, Bradford once


async def test_outside_a_batch_each_read_is_the_database_s(conn: CountingReads) -> None:
    db = cast("Connection", conn)
    async with conn.transaction():
        await catalogue_in_force(db, LEEDS)
        await catalogue_in_force(db, LEEDS)
    assert conn.catalogue_reads == 2
