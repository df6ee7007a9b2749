"""The gathering windows (CONSUMER_GATHER_MS, OUTBOX_GATHER_MS), against real PostgreSQL and
Kafka: events or commits that come close together go in one batch; a full batch, or the first
after a quiet spell, does not wait for the window."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from uuid import UUID, uuid4

import asyncpg
import pytest
from faststream.kafka import KafkaBroker, KafkaRouter
from prometheus_client import CollectorRegistry

from shared.consumption import EventConsumption
from shared.events import Envelope, wrap
from shared.outbox import Outbox, OutboxMessage, OutboxRelay
from shared.subscriptions import Events, Subscription, Uow
from shared.unit_of_work import Work
from tests.integration.conftest import BrokerFactory, Counted, wait_for

Handled = dict[int, int]  # an event's sequence -> the transaction (batch) that handled it
Consume = Callable[..., Awaitable[tuple[KafkaBroker, Handled]]]


@pytest.fixture
async def consuming(pool: asyncpg.Pool, broker_factory: BrokerFactory) -> AsyncIterator[Consume]:
    """Starts a consumer of ``event_class`` with a gathering window, recording which
    transaction handled each event."""
    brokers: list[KafkaBroker] = []

    async def start(
        event_class: type[Counted],
        *,
        gather_s: float,
        batch_size: int = 200,
        idle_wait_s: float = 1.0,
    ) -> tuple[KafkaBroker, Handled]:
        handled: Handled = {}

        async def record(message: Envelope[Counted], uow: Uow) -> Events:
            handled[message.data.sequence] = await uow.conn.fetchval("SELECT txid_current()")
            return []

        consumption = EventConsumption(
            service="tests",
            namespace="",
            work=Work(lambda: pool, Outbox(source="/tests", declared=[])),
            registry=CollectorRegistry(),
            batch_size=batch_size,
            gather_s=gather_s,
            idle_wait_s=idle_wait_s,
        )
        broker = broker_factory("gathering-test", middlewares=[consumption])
        router = KafkaRouter()
        consumption.subscribe(router, Subscription(event_class, record))
        broker.include_router(router)
        await broker.start()
        brokers.append(broker)
        return broker, handled

    yield start
    for broker in brokers:
        await broker.stop()


async def _send(broker: KafkaBroker, event_class: type[Counted], sequence: int) -> None:
    envelope = wrap(
        event_class(referral_id=uuid4(), sequence=sequence),
        source="/tests",
        local_authority="E08000035",
    )
    await broker.publish(
        envelope.model_dump_json().encode(),
        topic=event_class.topic(),
        key=envelope.subject.encode(),
    )


async def _handled(handled: Handled, *sequences: int, timeout_s: float = 30) -> None:
    async def done() -> bool:
        return all(s in handled for s in sequences)

    await wait_for(done, timeout_s=timeout_s, what=f"events {sequences} handled")


async def test_events_close_together_are_handled_in_one_batch(
    event_class: type[Counted], consuming: Consume
) -> None:
    broker, handled = await consuming(event_class, gather_s=3.0)
    await _send(broker, event_class, 0)  # the first: taken at once (and the group joined)
    await _handled(handled, 0)
    # Five events within the window after it, 20 ms apart (3 s: room for a slow broker).
    for sequence in range(1, 6):
        await _send(broker, event_class, sequence)
        await asyncio.sleep(0.02)
    await _handled(handled, *range(1, 6))

    # Without the window each would come alone or in twos, as the fetches bring them.
    assert len({handled[s] for s in range(1, 6)}) == 1
    assert handled[1] != handled[0]


async def test_a_full_batch_does_not_wait_for_the_window(
    event_class: type[Counted], consuming: Consume
) -> None:
    broker, handled = await consuming(event_class, gather_s=30.0, batch_size=3)
    await _send(broker, event_class, 0)
    await _handled(handled, 0)
    for sequence in (1, 2, 3):
        await _send(broker, event_class, sequence)

    # The window is 30 s: handled well before it ends, only because the batch is full.
    await _handled(handled, 1, 2, 3, timeout_s=15)


async def test_an_event_after_a_quiet_spell_does_not_wait_for_the_window(
    event_class: type[Counted], consuming: Consume
) -> None:
    window_s = 6.0
    broker, handled = await consuming(event_class, gather_s=window_s)
    await _send(broker, event_class, 0)
    await _handled(handled, 0)
    await asyncio.sleep(window_s)  # a quiet spell: no batch for a whole window

    await _send(broker, event_class, 1)
    await _handled(handled, 1, timeout_s=window_s / 2)  # not held until a window is up


async def test_an_idle_subscriber_takes_an_event_as_it_comes(
    event_class: type[Counted], consuming: Consume
) -> None:
    """An idle subscriber waits in Kafka's fetch, never in a sleep. FastStream's own loop,
    after a fetch that found nothing, slept as long again: an event sent then waited for the
    sleep to end (here up to 4 s; with the services' wait, up to a second a hop)."""
    idle_wait_s = 4.0
    broker, handled = await consuming(event_class, gather_s=0, idle_wait_s=idle_wait_s)
    await _send(broker, event_class, 0)
    await _handled(handled, 0)
    # Past one whole wait that found nothing: FastStream's loop would now sleep until 8 s.
    await asyncio.sleep(idle_wait_s * 1.25)

    await _send(broker, event_class, 1)
    await _handled(handled, 1, timeout_s=idle_wait_s / 2)


def _relay(database_url: str, pool: asyncpg.Pool, gather_s: float) -> OutboxRelay:
    async def publish(message: OutboxMessage) -> None:
        return None  # what the relay hands over is not the matter here: when it does is

    return OutboxRelay(
        database_url=database_url,
        pool=pool,
        publish=publish,
        registry=CollectorRegistry(),
        poll_interval_s=30.0,  # every publish below comes from a NOTIFY, never the poll
        gather_s=gather_s,
    )


async def _commit(pool: asyncpg.Pool, event_class: type[Counted], sequence: int) -> UUID:
    """One event committed in a transaction of its own, as one request's state change."""
    outbox = Outbox(source="/tests", declared=[event_class])
    async with pool.acquire() as conn, conn.transaction():
        [envelope] = await outbox.add(
            conn, [event_class(referral_id=uuid4(), sequence=sequence)], local_authority="E1"
        )
    return envelope.id


async def _published_at(pool: asyncpg.Pool, ids: list[UUID]) -> list[datetime | None]:
    """When each row was marked published: one round of the relay marks its rows with one
    statement, hence one ``now()``."""
    rows = await pool.fetch(
        "SELECT event_id, published_at FROM outbox WHERE event_id = ANY($1::uuid[])", ids
    )
    at = {r["event_id"]: r["published_at"] for r in rows}
    return [at.get(i) for i in ids]


async def _published(pool: asyncpg.Pool, ids: list[UUID], timeout_s: float = 30) -> None:
    async def done() -> bool:
        return None not in await _published_at(pool, ids)

    await wait_for(done, timeout_s=timeout_s, what=f"{len(ids)} rows published")


@pytest.fixture
async def relaying(
    pool: asyncpg.Pool, database_url: str
) -> AsyncIterator[Callable[[float], Awaitable[None]]]:
    tasks: list[asyncio.Task[None]] = []

    async def start(gather_s: float) -> None:
        relay = _relay(database_url, pool, gather_s)
        tasks.append(asyncio.create_task(relay.run()))
        await asyncio.sleep(0.5)  # its start-up pass done, listening

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_commits_close_together_are_published_in_one_round(
    pool: asyncpg.Pool, event_class: type[Counted], relaying: Callable[[float], Awaitable[None]]
) -> None:
    await relaying(3.0)
    first = await _commit(pool, event_class, 0)
    await _published(pool, [first])
    ids = []
    for sequence in range(1, 6):  # five transactions within the window after it
        ids.append(await _commit(pool, event_class, sequence))
        await asyncio.sleep(0.02)
    await _published(pool, ids)

    # Without the window each commit's NOTIFY would start a round of its own.
    assert len(set(await _published_at(pool, ids))) == 1


async def test_a_commit_after_a_quiet_spell_is_published_at_once(
    pool: asyncpg.Pool, event_class: type[Counted], relaying: Callable[[float], Awaitable[None]]
) -> None:
    window_s = 6.0
    await relaying(window_s)
    await asyncio.sleep(window_s)  # a quiet spell since its start-up pass
    first = await _commit(pool, event_class, 0)
    await _published(pool, [first], timeout_s=window_s / 2)  # not held until a window is up
