"""A service's typed state (``shared.state``) is what its parts are given: a scheduled job
gets the service's state with the pipeline's units of work (``shared.schedule.every`` runs it
with them, under its lock), and those units of work carry the service's own part, as its routes
(``state_of``) and handlers (``uow.service``) see it."""

from __future__ import annotations

import asyncio

from referrals.config import ReferralsSettings

from shared.db import Connection
from shared.lifecycle import ServiceDefinition, create_service_app
from shared.schedule import every
from shared.state import ServiceState, service_state
from shared.unit_of_work import Actor, Work
from tests.logging_state import restored_logging


async def test_a_scheduled_job_changes_state_through_the_services_own_units_of_work() -> None:
    given: asyncio.Queue[ServiceState] = asyncio.Queue()
    own = object()  # the service's own part

    async def job(state: ServiceState) -> None:
        await given.put(state)
        await asyncio.Event().wait()  # until the service stops

    with restored_logging():
        app = create_service_app(
            ServiceDefinition(settings=ReferralsSettings(), workers=(job,), own=own)
        )
    async with app.router.lifespan_context(app):
        state = await asyncio.wait_for(given.get(), 30)
        async with state.work.begin(Actor.system("tests"), councils=[]) as uow:
            assert await uow.conn.fetchval("SELECT 1") == 1  # the service's pool, open
        served = service_state(app)
        # The pipeline's pool, not the routes' (issue #25): a flood of requests never holds
        # up a job (notifications' sender is one), nor a job a caseworker's page.
        routes_pool, jobs_pool = served.work.pool(), state.work.pool()
    assert (state.settings, state.broker, state.own) == (served.settings, served.broker, own)
    assert jobs_pool is not routes_pool
    assert state.database is not served.database
    assert uow.service is own


async def test_a_scheduled_job_runs_with_the_services_units_of_work_under_its_lock() -> None:
    ran: asyncio.Queue[tuple[bool, bool]] = asyncio.Queue()
    lock_id = 0x5E5D_7E57  # this test's own advisory lock

    async def job(work: Work, conn: Connection) -> int:
        held = await conn.fetchval(
            "SELECT count(*) = 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = $1"
            " AND pid = pg_backend_pid()",
            lock_id,
        )
        await ran.put((work is state_now[0].work, held))
        return 0

    async def worker(state: ServiceState) -> None:
        state_now.append(state)
        await every(state, interval_s=3600, lock_id=lock_id, name="tests", job=job)

    state_now: list[ServiceState] = []
    with restored_logging():
        app = create_service_app(ServiceDefinition(settings=ReferralsSettings(), workers=(worker,)))
    async with app.router.lifespan_context(app):
        assert await asyncio.wait_for(ran.get(), 30) == (True, True)
