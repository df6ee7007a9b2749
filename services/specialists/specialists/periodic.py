"""A periodic pass over the whole waitlist: places freed where no event offered them at once
(two transactions crossing: a place freed while a child was being waitlisted) still move."""

from __future__ import annotations

from shared.audit import record_system_changes
from shared.councils import ALL, act_for
from shared.db import Connection, Database
from shared.lifecycle import Worker
from shared.outbox import Outbox
from shared.schedule import every
from specialists import waitlist
from specialists.handlers import CHANGES
from specialists.moving import publish_by_council

LOCK_ID = 0x5BEC1A11


async def pass_once(conn: Connection, outbox: Outbox) -> int:
    """Offer every free place to the waitlist, one (council, role) per transaction."""
    async with conn.transaction():
        await act_for(conn, ALL)  # the service's own duty, for every council
        pairs = await waitlist.waiting_pairs(conn)
    done = 0
    for council, role in pairs:
        async with conn.transaction():
            await act_for(conn, ALL)
            events = await waitlist.work(conn, council, role)
            await record_system_changes(conn, "specialists", events, CHANGES)
            await publish_by_council(conn, outbox, events)
            done += len(events)
    return done


def keep_the_waitlist_moving(interval_s: float) -> Worker:
    async def run(database: Database, outbox: Outbox) -> None:
        await every(
            database,
            interval_s=interval_s,
            lock_id=LOCK_ID,
            name="waitlist pass",
            work=lambda conn: pass_once(conn, outbox),
        )

    return run
