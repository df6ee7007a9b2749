"""A service's typed state (``shared.state``) is what its parts are given: a scheduled job
gets the service's state, and its units of work carry the service's own part, as its routes
(``state_of``) and handlers (``uow.service``) see it."""

from __future__ import annotations

import asyncio

from referrals.config import ReferralsSettings

from shared.lifecycle import ServiceDefinition, create_service_app
from shared.state import ServiceState, service_state
from shared.unit_of_work import Actor
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
    assert state is service_state(app)  # the one state, not a job's own Work
    assert uow.service is own
