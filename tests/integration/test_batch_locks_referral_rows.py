"""A consumed batch's timeline steps on real PostgreSQL (issue #25): the batch's first step locks
the rows of all its referrals in one statement, and its steps and the statuses they leave are
written at its end, one statement each, with no ``SELECT ... FOR UPDATE`` of a step's own; a
caseworker's step on the same referral at the same moment waits for the batch, or the batch
for it, and both end on the timeline with the status the furthest step reached.

The batch is made as ``shared.consumption`` makes it: one transaction, its referrals' advisory
locks taken by ``referrals_locked``, each step acting for its event's council."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from asyncpg.connection import LoggedQuery
from fastapi import FastAPI
from referrals import repository
from referrals.domain import Step

from scripts.platform import IdentityProvider, migrations_of
from shared.councils import act_for
from shared.db import Connection
from shared.migrations import owner_connection
from shared.referral_locks import referrals_locked
from shared.state import service_state
from tests.conftest import Databases
from tests.integration.conftest import wait_for
from tests.integration.referrals_app import (
    BRADFORD,
    LEEDS,
    referral_body,
    referrals_service,
    signed_in,
)


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("batchrows", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


async def _referrals(app: FastAPI, identity: IdentityProvider, count: int) -> list[UUID]:
    async with await signed_in(app, identity, "leeds-caseworker") as caseworker:
        ids = []
        for _ in range(count):
            created = await caseworker.post("/v1/referrals", json=referral_body())
            assert created.status_code == 201, created.text
            ids.append(UUID(created.json()["id"]))
    return ids


async def _step(
    conn: Connection, referral_id: UUID, step: Step, local_authority: str | None = LEEDS
) -> list[Step]:
    """A step as the consumer records it (``local_authority``: its event's council), or as a
    route or scheduler does (None)."""
    return await repository.add_step_and_status(
        conn, referral_id=referral_id, event_id=uuid4(), step=step, service="tests",
        occurred_at=datetime.now(UTC), local_authority=local_authority,
    )  # fmt: skip


async def _state(conn: Connection, referral_id: UUID) -> tuple[str, list[str]]:
    """The referral's status and its timeline's steps, as committed."""
    async with conn.transaction():
        await act_for(conn, [LEEDS])
        status = await conn.fetchval("SELECT status FROM referrals WHERE id = $1", referral_id)
        steps = await conn.fetch("SELECT step FROM timeline WHERE referral_id = $1", referral_id)
    return status, sorted(row["step"] for row in steps)


async def _waiting_for_a_lock(owner_url: str) -> None:
    owner = await owner_connection(owner_url)

    async def waiting() -> bool:
        return bool(await owner.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted"))

    try:
        await wait_for(waiting, timeout_s=10, what="a transaction waiting for a lock")
    finally:
        await owner.close()


async def test_a_batchs_steps_lock_its_referrals_rows_once(
    app: FastAPI, identity: IdentityProvider
) -> None:
    referrals = await _referrals(app, identity, 3)
    statements: list[str] = []

    def logged(query: LoggedQuery) -> None:
        if "typeinfo_tree" not in query.query and "'jit'" not in query.query:
            statements.append(query.query)  # (not asyncpg learning a type: once a connection)

    async with service_state(app).database.pool().acquire() as conn:
        conn.add_query_logger(logged)
        try:
            async with conn.transaction(), referrals_locked(conn, map(str, referrals)):
                await act_for(conn, [LEEDS])
                statements.clear()  # from here (a logger hears of a statement after it)
                for referral_id in referrals:
                    await _step(conn, referral_id, Step.PLAN_DRAFTED)  # moves the status
                    await _step(conn, referral_id, Step.MESSAGE_SENT)  # leaves it
                    await _step(conn, referral_id, Step.SPECIALIST_ASSIGNED)  # moves it
                    await _step(conn, referral_id, Step.FAMILY_NOTIFIED)  # leaves it
        finally:
            conn.remove_query_logger(logged)
        for referral_id in referrals:
            status, steps = await _state(conn, referral_id)
            assert status == Step.SPECIALIST_ASSIGNED
            assert {"plan_drafted", "message_sent", "specialist_assigned"} <= set(steps)
    locks = [s for s in statements if "FOR UPDATE" in s]
    inserts = [s for s in statements if "INSERT INTO timeline" in s]
    writes = [s for s in statements if "SET status" in s]
    assert len(locks) == 1, statements  # the batch's three rows at once (was one a step)
    # The batch's twelve steps in one statement (were twelve), its statuses in one (were six),
    # its referrals' journeys read in one, acting for the steps' councils in one; with the
    # test's own act_for first and the COMMIT (a query logger hears of a statement after it).
    assert (len(inserts), len(writes)) == (1, 1), statements
    assert len(statements) == 1 + (1 + 1 + 1 + 1 + 1) + 1, statements


async def test_a_step_outside_a_batch_still_locks_its_referral(
    app: FastAPI, identity: IdentityProvider
) -> None:
    (referral_id,) = await _referrals(app, identity, 1)
    statements: list[str] = []

    def logged(query: LoggedQuery) -> None:
        statements.append(query.query)

    async with service_state(app).database.pool().acquire() as conn, conn.transaction():
        await act_for(conn, [LEEDS])
        conn.add_query_logger(logged)
        try:
            await _step(conn, referral_id, Step.MESSAGE_SENT)  # with a council, but no batch
            await _step(conn, referral_id, Step.MESSAGE_SENT, local_authority=None)
        finally:
            conn.remove_query_logger(logged)
    assert len([s for s in statements if "FOR UPDATE" in s]) == 2


async def test_a_batch_step_acting_for_another_council_does_not_see_the_referral(
    app: FastAPI, identity: IdentityProvider
) -> None:
    (referral_id,) = await _referrals(app, identity, 1)
    async with (
        service_state(app).database.pool().acquire() as conn,
        conn.transaction(),
        referrals_locked(conn, [str(referral_id)]),
    ):
        await act_for(conn, [LEEDS])
        await _step(conn, referral_id, Step.MESSAGE_SENT)  # the batch holds the row
        await act_for(conn, [BRADFORD])  # the next event is another council's
        with pytest.raises(LookupError):
            await _step(conn, referral_id, Step.PLAN_DRAFTED, local_authority=BRADFORD)


async def test_a_caseworkers_step_waits_for_the_batch_and_sees_its_steps(
    app: FastAPI, identity: IdentityProvider, owner_url: str
) -> None:
    (referral_id,) = await _referrals(app, identity, 1)
    pool = service_state(app).database.pool()
    async with pool.acquire() as batch_conn, pool.acquire() as route_conn:
        batch = batch_conn.transaction()
        await batch.start()
        locked = referrals_locked(batch_conn, [str(referral_id)])
        await locked.__aenter__()
        await act_for(batch_conn, [LEEDS])
        await _step(batch_conn, referral_id, Step.PLAN_DRAFTED)  # the rows locked

        async def caseworker() -> list[Step]:
            async with route_conn.transaction():
                await act_for(route_conn, [LEEDS])
                return await _step(route_conn, referral_id, Step.SPECIALIST_ASSIGNED, None)

        route = asyncio.create_task(caseworker())
        await _waiting_for_a_lock(owner_url)  # the caseworker waits for the batch's row lock
        assert not route.done()
        await _step(batch_conn, referral_id, Step.MESSAGE_SENT)  # the batch goes on
        await locked.__aexit__(None, None, None)
        await batch.commit()
        steps = await asyncio.wait_for(route, 10)
        assert {Step.PLAN_DRAFTED, Step.SPECIALIST_ASSIGNED} <= set(steps)
        status, timeline = await _state(batch_conn, referral_id)
    assert status == Step.SPECIALIST_ASSIGNED
    assert {"plan_drafted", "message_sent", "specialist_assigned"} <= set(timeline)


async def test_a_batch_waits_for_a_caseworkers_step_and_sees_it(
    app: FastAPI, identity: IdentityProvider, owner_url: str
) -> None:
    first, second = await _referrals(app, identity, 2)
    pool = service_state(app).database.pool()
    async with pool.acquire() as batch_conn, pool.acquire() as route_conn:
        route = route_conn.transaction()
        await route.start()
        await act_for(route_conn, [LEEDS])
        await _step(route_conn, second, Step.SPECIALIST_ASSIGNED, None)  # holds its row

        async def consumed_batch() -> list[Step]:
            async with (
                batch_conn.transaction(),
                referrals_locked(batch_conn, [str(first), str(second)]),
            ):
                await act_for(batch_conn, [LEEDS])
                await _step(batch_conn, first, Step.PLAN_DRAFTED)  # waits for both rows
                return await _step(batch_conn, second, Step.PLAN_DRAFTED)

        batch = asyncio.create_task(consumed_batch())
        await _waiting_for_a_lock(owner_url)
        assert not batch.done()
        await route.commit()
        steps = await asyncio.wait_for(batch, 10)
        assert {Step.PLAN_DRAFTED, Step.SPECIALIST_ASSIGNED} <= set(steps)
        # The caseworker's further step is the status: the batch saw it when it took the row.
        status, timeline = await _state(batch_conn, second)
        assert status == Step.SPECIALIST_ASSIGNED
        assert {"plan_drafted", "specialist_assigned"} <= set(timeline)
        assert (await _state(batch_conn, first))[0] == Step.PLAN_DRAFTED
