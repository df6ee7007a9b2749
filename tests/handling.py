"""A service's event handler run as its consumer runs it (``shared.batches``), without Kafka:
in a transaction (a savepoint of the caller's, if one is open), acting for the event's
council, as one unit of work of the service's own (or of the job its subscription acts for)
whose events go to ``outbox`` with their audit rows. The inbox is the consumption
middleware's and is not claimed here."""

from __future__ import annotations

import dataclasses
from typing import Any

import asyncpg

from shared.batches import batch_consumer
from shared.db import Connection
from shared.events import DomainEvent, Envelope
from shared.outbox import Outbox
from shared.subscriptions import Subscriptions
from shared.unit_of_work import UnitOfWork, Work


def _no_pool() -> asyncpg.Pool:
    raise AssertionError("a handler runs on its batch's connection, never on one of the pool")


def units_of_work(outbox: Outbox, own: object = None) -> Work:
    """A service's units of work on a connection the test gives (``begin(conn=...)``, as a
    scheduled job's), never one of a pool; ``own``: the service's own state (``uow.service``)."""
    return Work(_no_pool, outbox, service=own)


async def handle_as_service(
    conn: Connection,
    subscriptions: Subscriptions,
    *messages: Envelope[Any],
    service: str,
    outbox: Outbox,
    own: object = None,
) -> list[DomainEvent]:
    """Each of ``messages`` handled by ``service``'s handler of its event class (its own
    state ``own``); the events the handlers returned (the runtime wrote them to ``outbox``)."""
    work = units_of_work(outbox, own)
    caused: list[DomainEvent] = []
    for message in messages:
        (subscription,) = [s for s in subscriptions if s.event_class is type(message.data)]

        async def handler(each: Envelope[Any], uow: UnitOfWork, run: Any = subscription) -> Any:
            returned = list(await run.handler(each, uow) or ())
            caused.extend(returned)
            return returned

        seen = dataclasses.replace(subscription, handler=handler)
        async with conn.transaction():
            await batch_consumer(seen, work, service)([message], conn)
    return caused
