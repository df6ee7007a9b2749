"""Taking a referral in locks the child by each of its identities (its NHS number, its name,
date of birth and postcode) in one statement, not one a key (issue #25), and the locks are the
same: a rival transaction can take neither until the first one ends. Real PostgreSQL."""

from __future__ import annotations

from typing import Any, cast

import asyncpg
import pytest
from referrals import repository

from scripts.platform import migrations_of
from shared.db import Connection
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.referrals_app import LEEDS

NHS = "nhs|9990000018"
NAME = "name|ann smith|2019-05-01|LS6 2AB"


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("childlock", "referrals", migrations_of("referrals"))


class _Counted:
    """A connection whose statements are counted (``lock_child`` only executes)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.statements: list[str] = []

    async def execute(self, query: str, *args: Any) -> str:
        self.statements.append(query)
        return await self.conn.execute(query, *args)


async def _free(conn: asyncpg.Connection, identity: str) -> bool:
    """Whether another transaction could lock ``identity`` of a Leeds child now."""
    async with conn.transaction():
        taken: bool = await conn.fetchval(
            "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))", f"{LEEDS}|{identity}"
        )
    return taken


async def test_a_childs_identities_are_locked_in_one_statement_until_the_transaction_ends(
    owner_url: str,
) -> None:
    first, rival = await owner_connection(owner_url), await owner_connection(owner_url)
    counted = _Counted(first)
    try:
        async with first.transaction():
            await repository.lock_child(cast("Connection", counted), LEEDS, NHS, NAME, NAME)
            assert len(counted.statements) == 1, counted.statements
            assert not await _free(rival, NHS)
            assert not await _free(rival, NAME)
            assert await _free(rival, "nhs|9990000026")  # another child's: not locked
        assert await _free(rival, NHS)
        assert await _free(rival, NAME)
    finally:
        await first.close()
        await rival.close()
