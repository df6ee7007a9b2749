"""A service's event handler run as its consumer runs it (``shared.batches``), without Kafka:
in a transaction (a savepoint of the caller's, if one is open), acting for the event's
council, as one unit of work of the service's own (or of the job its subscription acts for)
whose events go to ``outbox`` with their audit rows. The inbox is the consumption
middleware's and is not claimed here."""

from __future__ import annotations

from typing import Any

import asyncpg

from shared.batches import batch_consumer
from shared.db import Connection
from shared.events import Envelope
from shared.outbox import Outbox
from shared.subscriptions import Subscriptions
from shared.unit_of_work import Work


def _no_pool() -> asyncpg.Pool:
    raise AssertionError("a handler runs on its batch's connection, never on one of the pool")


async def handle_as_service(
    conn: Connection,
    subscriptions: Subscriptions,
    *messages: Envelope[Any],
    service: str,
    outbox: Outbox,
) -> None:
    """Each of ``messages`` handled by ``service``'s handler of its event class."""
    work = Work(_no_pool, outbox)
    for message in messages:
        (subscription,) = [s for s in subscriptions if s.event_class is type(message.data)]
        async with conn.transaction():
            await batch_consumer(subscription, work, service)([message], conn)
