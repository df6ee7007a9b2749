"""Event consumption (inbox, failure kinds, dead-lettering, replay) against real PostgreSQL
and Kafka."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
from faststream.kafka import KafkaBroker, KafkaRouter
from prometheus_client import CollectorRegistry

from shared.consumption import EventConsumption
from shared.db import Connection
from shared.dlq import replay
from shared.events import Envelope, wrap
from shared.outbox import Outbox
from shared.settings import KafkaSettings
from shared.subscriptions import Events, Handler, Subscription, Uow
from shared.topics import dead_letter_topic
from shared.unit_of_work import Work
from tests.integration.conftest import BrokerFactory, Counted, read_topic, wait_for

Start = Callable[..., Awaitable[tuple[KafkaBroker, CollectorRegistry]]]


async def record_effect(conn: Connection, message: Envelope[Counted]) -> None:
    await conn.execute(
        "INSERT INTO effects (referral_id, event_id, sequence) VALUES ($1, $2, $3)",
        message.data.referral_id,
        message.id,
        message.data.sequence,
    )


async def recording(message: Envelope[Counted], uow: Uow) -> Events:
    await record_effect(uow.conn, message)
    return []


@pytest.fixture
async def consuming(pool: asyncpg.Pool, broker_factory: BrokerFactory) -> AsyncIterator[Start]:
    """Starts a consumer service with one handler, as a service's lifecycle wires it."""
    brokers: list[KafkaBroker] = []

    async def start(
        event_class: type[Counted],
        handler: Handler,
        *,
        pool_getter: Callable[[], Any] = lambda: pool,
        max_attempts: int = 3,
        retry_backoff_s: float = 0.01,
    ) -> tuple[KafkaBroker, CollectorRegistry]:
        registry = CollectorRegistry()
        consumption = EventConsumption(
            service="tests",
            namespace="",
            work=Work(pool_getter, Outbox(source="/tests", declared=[])),
            registry=registry,
            max_attempts=max_attempts,
            retry_backoff_s=retry_backoff_s,
            outage_backoff_s=0.05,
        )
        broker = broker_factory("consumption-test", middlewares=[consumption])
        router = KafkaRouter()
        consumption.subscribe(router, Subscription(event_class, handler))
        broker.include_router(router)
        await broker.start()
        brokers.append(broker)
        return broker, registry

    yield start
    for broker in brokers:
        await broker.stop()


async def _publish(broker: KafkaBroker, topic: str, body: bytes, key: str) -> None:
    await broker.publish(body, topic=topic, key=key.encode())


async def _count(pool: asyncpg.Pool, sql: str, *args: object) -> int:
    return int(await pool.fetchval(sql, *args))


def _envelope(
    event_class: type[Counted], sequence: int, referral_id: UUID | None = None
) -> Envelope[Counted]:
    event = event_class(referral_id=referral_id or uuid4(), sequence=sequence)
    return wrap(event, source="/tests", local_authority="E08000035")


async def _send(broker: KafkaBroker, topic: str, envelope: Envelope[Counted]) -> None:
    """Publish as the relay does: the envelope's JSON, keyed by the referral id."""
    await _publish(broker, topic, envelope.model_dump_json().encode(), envelope.subject)


async def _effects_of(pool: asyncpg.Pool, envelope: Envelope[Counted]) -> int:
    return await _count(pool, "SELECT count(*) FROM effects WHERE event_id = $1", envelope.id)


def _headers(record: Any) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


async def test_redelivered_event_has_exactly_one_effect(
    pool: asyncpg.Pool, event_class: type[Counted], consuming: Start
) -> None:
    broker, _ = await consuming(event_class, recording)
    referral_id = uuid4()
    envelope = _envelope(event_class, 1, referral_id)
    for _ in range(3):  # the same event three times, as after a relay restart
        await _send(broker, event_class.topic(), envelope)
    marker = _envelope(event_class, 2, referral_id)
    await _send(broker, event_class.topic(), marker)

    async def marker_done() -> bool:
        return await _count(pool, "SELECT count(*) FROM effects WHERE sequence = 2") == 1

    await wait_for(marker_done, what="the event after the duplicates")  # same partition: in order
    assert await _effects_of(pool, envelope) == 1


async def test_transient_failure_rolls_back_its_inbox_row_and_is_retried(
    pool: asyncpg.Pool, event_class: type[Counted], consuming: Start
) -> None:
    calls = 0

    async def flaky(message: Envelope[Counted], uow: Uow) -> Events:
        nonlocal calls
        calls += 1
        await record_effect(uow.conn, message)
        if calls == 1:
            raise asyncpg.SerializationError("could not serialize access")
        return []

    broker, _ = await consuming(event_class, flaky)
    envelope = _envelope(event_class, 1)
    await _send(broker, event_class.topic(), envelope)

    async def done() -> bool:
        return (
            await _count(pool, "SELECT count(*) FROM inbox WHERE event_id = $1", envelope.id) == 1
        )

    await wait_for(done, what="the retried event")
    assert calls == 2
    assert await _effects_of(pool, envelope) == 1


async def test_a_real_lock_timeout_is_retried_until_the_lock_is_free(
    pool: asyncpg.Pool, event_class: type[Counted], consuming: Start
) -> None:
    await pool.execute("CREATE TABLE IF NOT EXISTS places (id int PRIMARY KEY)")
    await pool.execute("INSERT INTO places VALUES (1) ON CONFLICT DO NOTHING")
    rival = await pool.acquire()
    rival_tx = rival.transaction()
    await rival_tx.start()
    await rival.execute("SELECT id FROM places WHERE id = 1 FOR UPDATE")  # a rival holds it
    calls = 0

    async def takes_the_place(message: Envelope[Counted], uow: Uow) -> Events:
        nonlocal calls
        calls += 1
        try:
            await uow.conn.execute("SELECT id FROM places WHERE id = 1 FOR UPDATE NOWAIT")
        except asyncpg.LockNotAvailableError:
            await rival_tx.rollback()  # the rival finishes; the next attempt gets the lock
            raise
        await record_effect(uow.conn, message)
        return []

    try:
        broker, _ = await consuming(event_class, takes_the_place)
        envelope = _envelope(event_class, 1)
        await _send(broker, event_class.topic(), envelope)

        async def processed() -> bool:
            return await _effects_of(pool, envelope) == 1

        await wait_for(processed, what="the event after a lock timeout")
    finally:
        await pool.release(rival)
    assert calls == 2


async def test_poison_message_goes_to_dead_letter_topic_and_the_partition_moves_on(
    pool: asyncpg.Pool,
    event_class: type[Counted],
    consuming: Start,
    kafka_settings: KafkaSettings,
) -> None:
    broker, _ = await consuming(event_class, recording)
    referral_id = uuid4()
    key = str(referral_id)
    await _publish(broker, event_class.topic(), b"{not json", key)
    wrong = _envelope(event_class, 1, referral_id).model_dump(mode="json")
    wrong["data"]["sequence"] = "three"
    await _publish(
        broker,
        event_class.topic(),
        Envelope[dict[str, Any]](**wrong).model_dump_json().encode(),
        key,
    )
    good = _envelope(event_class, 7, referral_id)
    await _send(broker, event_class.topic(), good)

    async def good_done() -> bool:
        return await _effects_of(pool, good) == 1

    await wait_for(good_done, what="the valid event behind two poison messages")
    dead = await read_topic(
        kafka_settings.kafka_bootstrap_servers, dead_letter_topic(event_class.topic()), 2
    )
    headers = [_headers(r) for r in dead]
    assert [h["dlq-original-topic"] for h in headers] == [event_class.topic()] * 2
    assert headers[0]["dlq-exception"] == "InvalidEvent"
    assert "sequence" in headers[1]["dlq-reason"]  # says which field was wrong
    assert [h["dlq-attempts"] for h in headers] == ["1", "1"]
    assert dead[0].value == b"{not json"  # the original bytes, for replay


async def test_permanent_failure_is_dead_lettered_at_once_and_does_not_hold_up_the_partition(
    pool: asyncpg.Pool,
    event_class: type[Counted],
    consuming: Start,
    kafka_settings: KafkaSettings,
) -> None:
    attempts = 0

    async def unknown_referral_first(message: Envelope[Counted], uow: Uow) -> Events:
        nonlocal attempts
        if message.data.sequence == 1:
            attempts += 1
            raise LookupError(f"referral {message.data.referral_id} is not known here")
        await record_effect(uow.conn, message)
        return []

    # The services' own retry settings: four tries, 0.2 s backoff doubling (1.4 s of waiting
    # if a permanent failure were retried).
    broker, _ = await consuming(
        event_class, unknown_referral_first, max_attempts=4, retry_backoff_s=0.2
    )
    referral_id = uuid4()
    unknown = _envelope(event_class, 1, referral_id)
    behind = _envelope(event_class, 2, referral_id)  # same key: same partition, behind it
    sent_at = time.monotonic()
    await _send(broker, event_class.topic(), unknown)
    await _send(broker, event_class.topic(), behind)

    async def behind_done() -> bool:
        return await _effects_of(pool, behind) == 1

    await wait_for(behind_done, what="the event behind the unknown referral")
    held_up_s = time.monotonic() - sent_at
    [dead] = await read_topic(
        kafka_settings.kafka_bootstrap_servers, dead_letter_topic(event_class.topic()), 1
    )
    assert _headers(dead)["dlq-attempts"] == "1"
    assert _headers(dead)["dlq-exception"] == "LookupError"
    # Never retried: tried alone once (and, had it shared a batch, once in it, rolled back).
    assert attempts <= 2
    assert held_up_s < 1.0, f"the event behind waited {held_up_s:.2f}s"


async def test_transient_failure_that_never_heals_is_dead_lettered_after_bounded_attempts(
    pool: asyncpg.Pool,
    event_class: type[Counted],
    consuming: Start,
    kafka_settings: KafkaSettings,
) -> None:
    attempts = 0

    async def always_deadlocked(message: Envelope[Counted], uow: Uow) -> Events:
        nonlocal attempts
        attempts += 1
        raise asyncpg.DeadlockDetectedError("deadlock detected")

    broker, _ = await consuming(event_class, always_deadlocked)
    envelope = _envelope(event_class, 1)
    await _send(broker, event_class.topic(), envelope)
    [dead] = await read_topic(
        kafka_settings.kafka_bootstrap_servers, dead_letter_topic(event_class.topic()), 1
    )
    headers = _headers(dead)
    assert headers["dlq-attempts"] == "3"
    assert headers["dlq-exception"] == "DeadlockDetectedError"
    assert attempts == 3
    assert await _count(pool, "SELECT count(*) FROM inbox WHERE event_id = $1", envelope.id) == 0


async def test_dead_lettered_event_is_processed_once_replayed_after_the_fix(
    pool: asyncpg.Pool,
    event_class: type[Counted],
    consuming: Start,
    kafka_settings: KafkaSettings,
) -> None:
    fixed = False

    async def broken_until_fixed(message: Envelope[Counted], uow: Uow) -> Events:
        if not fixed:
            raise ValueError("no rule for this case yet")
        await record_effect(uow.conn, message)
        return []

    broker, _ = await consuming(event_class, broken_until_fixed)
    envelope = _envelope(event_class, 1)
    await _send(broker, event_class.topic(), envelope)
    dlq = dead_letter_topic(event_class.topic())
    await read_topic(kafka_settings.kafka_bootstrap_servers, dlq, 1)

    fixed = True  # the bug is fixed and deployed; the operator replays
    assert await replay(kafka_settings, dlq, idle_timeout_s=1) == 1

    async def processed() -> bool:
        return await _effects_of(pool, envelope) == 1

    await wait_for(processed, what="the replayed event")
    assert await replay(kafka_settings, dlq, idle_timeout_s=1) == 0  # nothing replayed twice


class _DatabaseDown:
    """A pool whose server refuses connections, counting how often it was asked."""

    def __init__(self) -> None:
        self.attempts = 0

    def acquire(self) -> _DatabaseDown:
        self.attempts += 1
        return self

    async def __aenter__(self) -> None:
        raise ConnectionRefusedError("PostgreSQL is down")

    async def __aexit__(self, *args: object) -> None:
        return None


async def test_event_met_by_a_database_outage_comes_again_and_is_never_dead_lettered(
    pool: asyncpg.Pool, event_class: type[Counted], consuming: Start
) -> None:
    down = _DatabaseDown()
    current: dict[str, Any] = {"pool": down}
    broker, registry = await consuming(
        event_class, recording, pool_getter=lambda: current["pool"], max_attempts=2
    )
    envelope = _envelope(event_class, 1)
    await _send(broker, event_class.topic(), envelope)

    async def outlasted_the_retry_limit() -> bool:
        return down.attempts > 3  # more than max_attempts: not treated as the event's fault

    await wait_for(outlasted_the_retry_limit, what="redeliveries during the outage")
    current["pool"] = pool  # PostgreSQL is back

    def consumed(outcome: str) -> float | None:
        labels = {"topic": event_class.topic(), "outcome": outcome}
        return registry.get_sample_value("send_events_consumed_total", labels)

    async def processed() -> bool:
        # Counted once its connection is back in the pool, a moment after its effect commits.
        return await _effects_of(pool, envelope) == 1 and consumed("processed") == 1

    await wait_for(processed, what="the event after the outage, processed and counted")
    assert consumed("dead_lettered") is None  # never counted, so never dead-lettered
