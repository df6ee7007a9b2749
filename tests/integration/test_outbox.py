"""The transactional outbox and its relay, against real PostgreSQL and Kafka."""

from __future__ import annotations

import asyncio
import json
import sys
from uuid import UUID, uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry

from shared.db import Connection
from shared.events import Envelope, RawEnvelope
from shared.outbox import Outbox, OutboxMessage, OutboxRelay, Publisher, UndeclaredEvent
from shared.settings import KafkaSettings
from tests.integration.conftest import BrokerFactory, Counted, read_topic, wait_for

SOURCE = "/send-platform/tests"


async def _unpublished(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))


async def _write(
    conn: Connection, event_class: type[Counted], sequence: int, referral_id: UUID | None = None
) -> Envelope[Counted]:
    """One event into the outbox, as a service's state change would write it."""
    event = event_class(referral_id=referral_id or uuid4(), sequence=sequence)
    outbox = Outbox(source=SOURCE, declared=[event_class])
    [envelope] = await outbox.add(conn, [event], local_authority="E08000035")
    return envelope


async def _commit_events(pool: asyncpg.Pool, event_class: type[Counted], count: int) -> list[UUID]:
    """``count`` events for as many referrals, committed together; returns their ids."""
    async with pool.acquire() as conn, conn.transaction():
        return [(await _write(conn, event_class, n)).id for n in range(count)]


def publisher(broker: KafkaBroker) -> Publisher:
    """Publishes an outbox row as the services' runtime does (without the trace context)."""

    async def publish(message: OutboxMessage) -> None:
        await broker.publish(message.envelope, topic=message.topic, key=message.key.encode())

    return publish


def _relay(database_url: str, pool: asyncpg.Pool, publish: object) -> OutboxRelay:
    return OutboxRelay(
        database_url=database_url,
        pool=pool,
        publish=publish,  # type: ignore[arg-type]
        registry=CollectorRegistry(),
        poll_interval_s=5.0,
    )


async def test_rolled_back_transaction_leaves_no_event(
    pool: asyncpg.Pool, event_class: type[Counted]
) -> None:
    class Refused(Exception):
        pass

    async def change_that_fails_after_writing_its_event() -> None:
        async with pool.acquire() as conn, conn.transaction():
            await _write(conn, event_class, 1)
            raise Refused

    with pytest.raises(Refused):
        await change_that_fails_after_writing_its_event()
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0


async def test_outbox_refuses_writes_outside_a_transaction(
    pool: asyncpg.Pool, event_class: type[Counted]
) -> None:
    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError, match="inside the transaction"):
            await _write(conn, event_class, 1)


async def test_outbox_refuses_an_event_its_service_does_not_declare(
    pool: asyncpg.Pool, event_class: type[Counted]
) -> None:
    outbox = Outbox(source=SOURCE, declared=[])
    async with pool.acquire() as conn, conn.transaction():
        with pytest.raises(UndeclaredEvent, match=event_class.__name__):
            await outbox.add(
                conn, [event_class(referral_id=uuid4(), sequence=1)], local_authority="E1"
            )
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0


async def test_relay_is_woken_by_notify_and_publishes_committed_events(
    pool: asyncpg.Pool,
    database_url: str,
    event_class: type[Counted],
    kafka_settings: KafkaSettings,
    broker_factory: BrokerFactory,
) -> None:
    broker = broker_factory("relay-test")
    await broker.start()

    publish = publisher(broker)
    relay = _relay(database_url, pool, publish)
    task = asyncio.create_task(relay.run())
    try:
        await _commit_events(pool, event_class, 1)
        # The first event may go out in the relay's start-up pass; once it is marked sent the
        # relay is past that pass and waiting, so the next can only come by NOTIFY or a poll.
        await wait_for(lambda: _none_left(pool), what="the first event")
        referral_id = uuid4()
        async with pool.acquire() as conn, conn.transaction():
            envelope = await _write(conn, event_class, 2, referral_id)
        # The poll interval is 5 s: arriving well before it shows the NOTIFY woke the relay.
        await wait_for(lambda: _none_left(pool), timeout_s=3, what="NOTIFY-driven publish")
        records = await read_topic(kafka_settings.kafka_bootstrap_servers, event_class.topic(), 2)
        [second] = [r for r in records if r.key == str(referral_id).encode()]
        received: Envelope[Counted] = Envelope[event_class].model_validate_json(second.value)  # type: ignore[valid-type]
        assert received.id == envelope.id
        assert received.data.sequence == 2
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await broker.stop()


async def _none_left(pool: asyncpg.Pool) -> bool:
    return await _unpublished(pool) == 0


async def test_relay_killed_mid_publish_loses_nothing_on_restart(
    pool: asyncpg.Pool,
    database_url: str,
    event_class: type[Counted],
    kafka_settings: KafkaSettings,
    broker_factory: BrokerFactory,
) -> None:
    ids = await _commit_events(pool, event_class, 20)

    broker = broker_factory("relay-crash-test")
    await broker.start()
    published = 0

    class Killed(BaseException):
        """Stands for kill -9: nothing after it runs, not even the 'mark sent' update."""

    publish = publisher(broker)

    async def publish_then_die(message: OutboxMessage) -> None:
        nonlocal published
        await publish(message)
        published += 1
        if published == 7:
            raise Killed

    try:
        first = _relay(database_url, pool, publish_then_die)
        # Simulate kill -9 after the 7th publish: the batch's UPDATE never reaches PostgreSQL.
        first._pool = _NoUpdatePool(pool)  # type: ignore[assignment]
        with pytest.raises(Killed):
            await first.publish_pending()
        assert await _unpublished(pool) == 20  # the crash came before any row was marked

        second = _relay(database_url, pool, publish)
        while await second.publish_pending():
            pass
        assert await _unpublished(pool) == 0
        records = await read_topic(kafka_settings.kafka_bootstrap_servers, event_class.topic(), 27)
        seen = {RawEnvelope.model_validate_json(r.value).id for r in records}
        assert seen == set(ids)  # every event arrived; 7 of them twice (the inbox drops those)
    finally:
        await broker.stop()


class _NoUpdatePool:
    """A pool whose writes never happen, as when the process is killed before them."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def fetch(self, query: str, *args: object) -> list[asyncpg.Record]:
        return await self._pool.fetch(query, *args)

    async def execute(self, *args: object) -> str:
        return ""  # the process is gone: the UPDATE never reaches the database


async def test_events_of_one_referral_arrive_in_order(
    pool: asyncpg.Pool,
    database_url: str,
    event_class: type[Counted],
    kafka_settings: KafkaSettings,
    broker_factory: BrokerFactory,
) -> None:
    referrals = [uuid4() for _ in range(5)]
    async with pool.acquire() as conn:
        for n in range(40):  # interleaved: r0 s0, r1 s0, ... r4 s0, r0 s1, ...
            async with conn.transaction():
                await _write(conn, event_class, n // 5, referrals[n % 5])
    broker = broker_factory("relay-order-test")
    await broker.start()

    publish = publisher(broker)
    try:
        relay = _relay(database_url, pool, publish)
        relay._batch_size = 7  # several batches, to cross batch boundaries
        while await relay.publish_pending():
            pass
        records = await read_topic(kafka_settings.kafka_bootstrap_servers, event_class.topic(), 40)
    finally:
        await broker.stop()
    by_referral: dict[str, list[int]] = {}
    partitions: dict[str, set[int]] = {}
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        data = json.loads(r.value)["data"]
        by_referral.setdefault(data["referral_id"], []).append(data["sequence"])
        partitions.setdefault(data["referral_id"], set()).add(r.partition)
    assert all(seq == list(range(8)) for seq in by_referral.values()), by_referral
    assert all(len(p) == 1 for p in partitions.values())  # one referral, one partition


async def test_published_rows_are_purged_after_the_retention_period_and_unpublished_kept(
    pool: asyncpg.Pool, database_url: str, event_class: type[Counted]
) -> None:
    await _commit_events(pool, event_class, 3)
    ids = [r["id"] for r in await pool.fetch("SELECT id FROM outbox ORDER BY id")]
    await pool.execute(
        "UPDATE outbox SET published_at = now() - interval '8 days' WHERE id = $1", ids[0]
    )
    await pool.execute(
        "UPDATE outbox SET published_at = now() - interval '1 day' WHERE id = $1", ids[1]
    )
    relay = _relay(database_url, pool, None)  # publishes nothing here
    assert await relay.purge_published() == 1
    remaining = [r["id"] for r in await pool.fetch("SELECT id FROM outbox ORDER BY id")]
    assert remaining == ids[1:]  # the recent one and the unpublished one stay


async def test_relay_process_killed_with_sigkill_mid_publish_loses_nothing_on_restart(
    pool: asyncpg.Pool,
    database_url: str,
    event_class: type[Counted],
    kafka_settings: KafkaSettings,
    broker_factory: BrokerFactory,
) -> None:
    total = 2000
    ids = await _commit_events(pool, event_class, total)
    relay_process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.relay_process",
        database_url, kafka_settings.kafka_bootstrap_servers, "250",
    )  # fmt: skip
    try:

        async def some_but_not_all_published() -> bool:
            return 0 < await _published(pool) < total

        await wait_for(some_but_not_all_published, what="the relay process to be mid-way")
    finally:
        relay_process.kill()  # SIGKILL: no cleanup, no final UPDATE
        await relay_process.wait()
    assert 0 < await _published(pool) < total  # it really died mid-way

    broker = broker_factory("relay-after-kill")
    await broker.start()
    try:
        restarted = _relay(database_url, pool, publisher(broker))
        while await restarted.publish_pending():
            pass
    finally:
        await broker.stop()
    assert await _unpublished(pool) == 0
    seen = await _event_ids_on(kafka_settings.kafka_bootstrap_servers, event_class.topic(), total)
    assert seen == set(ids)


async def _published(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL"))


async def _event_ids_on(bootstrap: str, topic: str, expected: int) -> set[UUID]:
    """Event ids on the topic, reading until at least ``expected`` distinct ones are seen."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
        group_id=f"reader-{uuid4().hex}", enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    seen: set[UUID] = set()
    try:
        async with asyncio.timeout(60):
            while len(seen) < expected:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    seen.update(RawEnvelope.model_validate_json(r.value).id for r in records)
    finally:
        await consumer.stop()
    return seen
