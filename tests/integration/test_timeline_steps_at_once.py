"""Two steps of one referral recorded at the same moment on real PostgreSQL (a plan drafted and
a specialist assigned come on different topics, so their handlers can run side by side): the
second to take the referral's lock sees the first's step. If it did not, both would tell an
NHS partner of the plan, and the referral's status could go back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI
from referrals import repository
from referrals.domain import Step

from scripts.platform import IdentityProvider, migrations_of
from shared.councils import act_for
from shared.db import Connection
from shared.migrations import owner_connection
from shared.state import service_state
from tests.conftest import Databases
from tests.integration.referrals_app import LEEDS, referral_body, referrals_service, signed_in


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("stepsatonce", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


async def _waiting_for_a_lock(owner_url: str) -> None:
    owner = await owner_connection(owner_url)
    try:
        async with asyncio.timeout(10):
            while True:
                if await owner.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted"):
                    return
                await asyncio.sleep(0.02)
    finally:
        await owner.close()


async def test_a_step_recorded_while_another_is_being_recorded_sees_it(
    app: FastAPI, identity: IdentityProvider, owner_url: str
) -> None:
    async with await signed_in(app, identity, "leeds-caseworker") as caseworker:
        created = await caseworker.post("/v1/referrals", json=referral_body())
    assert created.status_code == 201, created.text
    referral_id = UUID(created.json()["id"])
    pool = service_state(app).database.pool()

    async def record(conn: Connection, step: Step) -> list[Step]:
        return await repository.add_step(
            conn, referral_id=referral_id, event_id=uuid4(), step=step,
            service="tests", occurred_at=datetime.now(UTC),
        )  # fmt: skip

    async with pool.acquire() as first, pool.acquire() as second:
        plan = first.transaction()
        await plan.start()
        await act_for(first, [LEEDS])
        assert Step.PLAN_DRAFTED in await record(first, Step.PLAN_DRAFTED)

        async def assign() -> list[Step]:
            async with second.transaction():
                await act_for(second, [LEEDS])
                return await record(second, Step.SPECIALIST_ASSIGNED)

        assigned = asyncio.create_task(assign())
        await _waiting_for_a_lock(owner_url)  # the second waits for the referral's lock
        assert not assigned.done()
        await plan.commit()
        steps = await asyncio.wait_for(assigned, 10)
    assert set(steps) >= {Step.PLAN_DRAFTED, Step.SPECIALIST_ASSIGNED}


async def test_a_step_for_a_referral_not_known_here_is_refused(app: FastAPI) -> None:
    async with service_state(app).database.pool().acquire() as conn, conn.transaction():
        await act_for(conn, [LEEDS])
        with pytest.raises(LookupError):
            await repository.add_step(
                conn, referral_id=uuid4(), event_id=uuid4(), step=Step.PLAN_DRAFTED,
                service="tests", occurred_at=datetime.now(UTC),
            )  # fmt: skip
