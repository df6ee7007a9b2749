"""A periodic pass over the whole waitlist: places freed where no event offered them at once
(two transactions crossing: a place freed while a child was being waitlisted) still move."""

from __future__ import annotations

from shared.councils import ALL
from shared.db import Connection
from shared.lifecycle import Worker
from shared.schedule import every
from shared.state import ServiceState
from shared.unit_of_work import Work
from specialists import waitlist

LOCK_ID = 0x5BEC1A11


async def pass_once(conn: Connection, work: Work) -> int:
    """Offer every free place to the waitlist, one (council, role) per unit of work (the
    service's own, for every council)."""
    async with work.begin(waitlist.SERVICE, councils=ALL, conn=conn) as uow:
        pairs = await waitlist.waiting_pairs(uow.conn)
    done = 0
    for council, role in pairs:
        async with work.begin(waitlist.SERVICE, councils=ALL, conn=conn) as uow:
            events = await waitlist.offer(uow.conn, council, role)
            uow.add(*events)
        done += len(events)
    return done


def keep_the_waitlist_moving(interval_s: float) -> Worker:
    async def run(state: ServiceState) -> None:
        await every(
            state,
            interval_s=interval_s,
            lock_id=LOCK_ID,
            name="waitlist pass",
            job=lambda work, conn: pass_once(conn, work),
        )

    return run
