"""A drafted plan's need (its codes, its provision and whether the council decided to assess)
is saved and read back in one statement by specialists' handler (issue #25: it was three), on
real PostgreSQL, with the same effect."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, cast

import asyncpg
import pytest

from scripts.platform import migrations_of, service_url
from shared.councils import act_for
from shared.db import Connection
from shared.events import ProvisionAsked, wrap
from shared.specialisms import Specialism
from tests.conftest import Databases
from tests.integration.specialists_app import LEEDS, handle, handled, plan
from tests.integration.specialists_app import assessment_decided as decided


class CountingNeeds:
    """A connection counting its statements about ``referral_needs``."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.need_statements = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def _count(self, sql: str) -> None:
        self.need_statements += "referral_needs" in sql

    async def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self._count(sql)
        return await self._conn.execute(sql, *args, **kwargs)

    async def fetch(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self._count(sql)
        return await self._conn.fetch(sql, *args, **kwargs)

    async def fetchrow(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self._count(sql)
        return await self._conn.fetchrow(sql, *args, **kwargs)

    async def fetchval(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self._count(sql)
        return await self._conn.fetchval(sql, *args, **kwargs)


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("need-in-one", "specialists", migrations_of("specialists"))


@pytest.fixture
async def pool(owner_url: str) -> AsyncIterator[asyncpg.Pool]:
    found = await asyncpg.create_pool(service_url(owner_url), min_size=1, max_size=2)
    yield found
    await found.close()


async def _drafted(pool: asyncpg.Pool, drafted: Any) -> CountingNeeds:
    async with pool.acquire() as conn, conn.transaction():
        await act_for(conn, [LEEDS])
        counting = CountingNeeds(conn)
        message = wrap(drafted, source="/tests", local_authority=LEEDS)
        await handled(cast("Connection", counting), message)
    return counting


async def test_a_drafted_plan_s_need_is_one_statement(pool: asyncpg.Pool) -> None:
    line = ProvisionAsked(
        id="provision-1",
        section="F",
        role=Specialism.SPEECH_AND_LANGUAGE_THERAPY,
        support="a language programme",
        sessions_per_week=1,
        minutes_per_session=30,
        weeks=12,
        group_size=1,
        where="in class",
    )
    drafted = plan(provision=[line])
    counting = await _drafted(pool, drafted)
    assert counting.need_statements == 1
    async with pool.acquire() as conn, conn.transaction():
        await act_for(conn, [LEEDS])
        row = await conn.fetchrow(
            "SELECT plan_id, provision::text AS provision FROM referral_needs "
            "WHERE referral_id = $1",
            drafted.referral_id,
        )
    assert row is not None
    assert row["plan_id"] == drafted.plan_id
    assert json.loads(row["provision"]) == [line.model_dump(mode="json")]


async def test_a_decision_to_assess_before_the_plan_still_brings_its_advisers(
    pool: asyncpg.Pool,
) -> None:
    drafted = plan()
    await handle(pool, decided(drafted.referral_id, LEEDS))  # before the plan: kept
    async with pool.acquire() as conn, conn.transaction():
        await act_for(conn, [LEEDS])
        message = wrap(drafted, source="/tests", local_authority=LEEDS)
        caused = await handled(conn, message)
    assert any(getattr(event, "statutory", False) for event in caused), caused
