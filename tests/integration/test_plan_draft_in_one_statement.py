"""A drafted plan and its first version are stored in one statement (issue #25: they were two,
the document serialised for each), on a real plans database, with the same rows."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Any, cast
from uuid import uuid4

import asyncpg
import pytest
from plans import repository
from plans.catalogue_store import catalogue_in_force
from plans.domain import draft_plan

from scripts.platform import migrations_of, service_url
from shared.councils import act_for
from shared.db import Connection
from shared.events import ReferralReceived, Sen2Need
from tests.conftest import Databases

LEEDS = "E08000035"


class CountingStatements:
    """A connection counting its statements."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.statements = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    async def execute(self, sql: str, *args: Any) -> Any:
        self.statements += 1
        return await self._conn.execute(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        self.statements += 1
        return await self._conn.fetchval(sql, *args)


@pytest.fixture(scope="module")
async def plans_url(databases: Databases) -> str:
    return await databases.fresh("plan-draft-in-one", "plans", migrations_of("plans"))


@pytest.fixture
async def conn(plans_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(service_url(plans_url))
    yield connection
    await connection.close()


async def test_a_draft_and_its_first_version_are_one_statement(conn: asyncpg.Connection) -> None:
    referral = ReferralReceived(
        referral_id=uuid4(),
        local_authority=LEEDS,
        received_on=date(2026, 11, 2),
        primary_need=Sen2Need.SLCN,
        requested_by="school",
        postcode_district="LS6",
        decision_due=date(2026, 12, 14),
        final_plan_due=date(2027, 3, 22),
        phase="primary",
    )
    counting = CountingStatements(conn)
    db = cast("Connection", counting)
    async with conn.transaction():
        await act_for(conn, [LEEDS])
        plan, _ = draft_plan(referral, None, await catalogue_in_force(conn, LEEDS))
        assert await repository.add_draft(db, plan)
        assert counting.statements == 1
        assert not await repository.add_draft(db, plan)  # drafted already: no second version
        version = await conn.fetchrow(
            """SELECT v.version, v.status, v.changed_by, v.reason, v.document::text AS document,
                      p.sections::text AS sections
               FROM plan_versions v JOIN support_plans p ON p.id = v.plan_id
               WHERE v.referral_id = $1""",
            referral.referral_id,
        )
        versions = await conn.fetchval(
            "SELECT count(*) FROM plan_versions WHERE referral_id = $1", referral.referral_id
        )
    assert version is not None
    assert (version["version"], version["status"], version["changed_by"], version["reason"]) == (
        1,
        plan.status,
        "plans",
        "drafted",
    )
    assert json.loads(version["document"]) == plan.document.model_dump(mode="json")
    assert json.loads(version["sections"]) == json.loads(version["document"])
    assert versions == 1
