"""A family's messages go one after another without waiting for the sender's next poll, on
real PostgreSQL and a local GOV.UK Notify: a family's second message is held while its first
is being sent (each family's messages go in order), and nothing wakes the sender for it when
the first is recorded (it was queued before). Issue #25 found it waiting a poll interval
behind the first."""

from __future__ import annotations

import asyncio
from typing import cast

import asyncpg
from notifications.providers import Councils
from notifications.sender import AlertSender

from shared.db import Database
from shared.events import SpecialistAssigned
from shared.state import ServiceState
from shared.unit_of_work import Work
from tests.events import sample_event
from tests.integration.messaging import (
    OUTBOX,
    database,
    db,
    handle,
    owner_url,
    referral,
    stack,
    statuses,
    until,
)

__all__ = ["database", "db", "owner_url"]  # fixtures

POLL_S = 60.0
"""Far longer than the test waits: only a message sent without polling passes."""


class _State:
    def __init__(self, work: Work) -> None:
        self.work = work


async def test_a_familys_second_message_follows_its_first_without_waiting_for_a_poll(
    db: asyncpg.Pool, database: Database
) -> None:
    async with stack(database) as s:
        child = await referral(database.pool())  # "request received", queued
        await handle(database.pool(), sample_event(SpecialistAssigned, child.id))  # queued too
        queued = await statuses(db, child.id)
        assert [status for _, status, _ in queued] == ["queued", "queued"]
        sender = AlertSender(
            Councils(s.settings),
            link_for=lambda a, _: f"https://council.example/family/{a.referral_id}",
            database_url=database.url,
            poll_interval_s=POLL_S,
            clock=s.clock,
        )
        state = cast("ServiceState", _State(Work(database.pool, OUTBOX)))
        running = asyncio.create_task(sender.run(state))
        try:

            async def both_sent() -> bool:
                rows = await statuses(db, child.id)
                return all(status in ("sent", "delivered") for _, status, _ in rows)

            await until(both_sent, timeout_s=15, what="both messages sent, one after the other")
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
    to_family = [m["name"] for m in s.notify.messages if m["to"] == child.contact.email]
    assert to_family == ["request-received", "specialist-assigned"]  # in order
