"""Idempotent consumers and dead-lettering, against real PostgreSQL and Kafka."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry

from shared.db import Connection
from shared.dlq import replay
from shared.events import EventEnvelope
from shared.inbox import EventConsumers
from shared.settings import KafkaSettings
from shared.topics import dead_letter_topic
from tests.integration.conftest import BrokerFactory, Counted, read_topic, wait_for

Handler = Callable[[Connection, Counted, EventEnvelope], Awaitable[None]]


async def record_effect(conn: Connection, event: Counted, envelope: EventEnvelope) -> None:
    await conn.execute(
        "INSERT INTO effects (referral_id, event_id, sequence) VALUES ($1, $2, $3)",
        event.referral_id,
        envelope.id,
        event.sequence,
    )


@pytest.fixture
async def consuming(
    pool: asyncpg.Pool, broker_factory: BrokerFactory
) -> AsyncIterator[Callable[[type[Counted], Handler], Awaitable[KafkaBroker]]]:
    """Starts a consumer service with one handler; stops it after the test."""
    brokers: list[KafkaBroker] = []

    async def start(event_class: type[Counted], handler: Handler) -> KafkaBroker:
        broker = broker_factory("inbox-test")
        consumers = EventConsumers(
            service="tests",
            broker=broker,
            pool=lambda: pool,
            registry=CollectorRegistry(),
            max_attempts=3,
            retry_backoff_s=0.01,
        )
        consumers.subscribe(event_class, handler)
        await broker.start()
        brokers.append(broker)
        return broker

    yield start
    for broker in brokers:
        await broker.stop()


async def _publish(broker: KafkaBroker, topic: str, body: bytes, key: str) -> None:
    await broker.publish(body, topic=topic, key=key.encode())


async def _count(pool: asyncpg.Pool, sql: str, *args: object) -> int:
    return int(await pool.fetchval(sql, *args))


def _envelope(
    event_class: type[Counted], sequence: int, referral_id: UUID | None = None
) -> EventEnvelope:
    event = event_class(referral_id=referral_id or uuid4(), sequence=sequence)
    return EventEnvelope.wrap(event, source="/tests", local_authority="E08000035")


async def _send(broker: KafkaBroker, topic: str, envelope: EventEnvelope) -> None:
    """Publish as the relay does: the envelope's JSON, keyed by the referral id."""
    await _publish(broker, topic, envelope.model_dump_json().encode(), envelope.subject)


async def _effects_of(pool: asyncpg.Pool, envelope: EventEnvelope) -> int:
    return await _count(pool, "SELECT count(*) FROM effects WHERE event_id = $1", envelope.id)


async def test_redelivered_event_has_exactly_one_effect(
    pool: asyncpg.Pool, event_class: type[Counted], consuming: Callable[..., Awaitable[KafkaBroker]]
) -> None:
    broker = await consuming(event_class, record_effect)
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


async def test_failed_effect_rolls_back_its_inbox_row_and_is_retried(
    pool: asyncpg.Pool, event_class: type[Counted], consuming: Callable[..., Awaitable[KafkaBroker]]
) -> None:
    calls = 0

    async def flaky(conn: Connection, event: Counted, envelope: EventEnvelope) -> None:
        nonlocal calls
        calls += 1
        await record_effect(conn, event, envelope)
        if calls == 1:
            raise RuntimeError("transient failure after writing")

    broker = await consuming(event_class, flaky)
    envelope = _envelope(event_class, 1)
    await _send(broker, event_class.topic(), envelope)

    async def done() -> bool:
        return (
            await _count(pool, "SELECT count(*) FROM inbox WHERE event_id = $1", envelope.id) == 1
        )

    await wait_for(done, what="the retried event")
    assert calls == 2
    assert await _effects_of(pool, envelope) == 1


async def test_poison_message_goes_to_dead_letter_topic_and_the_partition_moves_on(
    pool: asyncpg.Pool,
    event_class: type[Counted],
    consuming: Callable[..., Awaitable[KafkaBroker]],
    kafka_settings: KafkaSettings,
) -> None:
    broker = await consuming(event_class, record_effect)
    referral_id = uuid4()
    key = str(referral_id)
    await _publish(broker, event_class.topic(), b"{not json", key)
    wrong = _envelope(event_class, 1, referral_id).model_dump()
    wrong["data"]["sequence"] = "three"
    await _publish(
        broker, event_class.topic(), EventEnvelope(**wrong).model_dump_json().encode(), key
    )
    good = _envelope(event_class, 7, referral_id)
    await _send(broker, event_class.topic(), good)

    async def good_done() -> bool:
        return await _effects_of(pool, good) == 1

    await wait_for(good_done, what="the valid event behind two poison messages")
    dead = await read_topic(
        kafka_settings.kafka_bootstrap_servers, dead_letter_topic(event_class.topic()), 2
    )
    headers = [dict((k, v.decode()) for k, v in r.headers) for r in dead]
    assert [h["dlq-original-topic"] for h in headers] == [event_class.topic()] * 2
    assert headers[0]["dlq-exception"] == "InvalidEvent"
    assert "sequence" in headers[1]["dlq-reason"]  # says which field was wrong
    assert dead[0].value == b"{not json"  # the original bytes, for replay


async def test_handler_that_always_fails_is_dead_lettered_after_bounded_attempts(
    pool: asyncpg.Pool,
    event_class: type[Counted],
    consuming: Callable[..., Awaitable[KafkaBroker]],
    kafka_settings: KafkaSettings,
) -> None:
    attempts = 0

    async def broken(conn: Connection, event: Counted, envelope: EventEnvelope) -> None:
        nonlocal attempts
        attempts += 1
        raise ValueError("no rule for this case")

    broker = await consuming(event_class, broken)
    envelope = _envelope(event_class, 1)
    await _send(broker, event_class.topic(), envelope)
    [dead] = await read_topic(
        kafka_settings.kafka_bootstrap_servers, dead_letter_topic(event_class.topic()), 1
    )
    headers = {k: v.decode() for k, v in dead.headers}
    assert headers["dlq-attempts"] == "3"
    assert headers["dlq-exception"] == "ValueError"
    assert attempts == 3
    assert await _count(pool, "SELECT count(*) FROM inbox WHERE event_id = $1", envelope.id) == 0


async def test_dead_lettered_event_is_processed_once_replayed_after_the_fix(
    pool: asyncpg.Pool,
    event_class: type[Counted],
    consuming: Callable[..., Awaitable[KafkaBroker]],
    kafka_settings: KafkaSettings,
) -> None:
    fixed = False

    async def broken_until_fixed(conn: Connection, event: Counted, envelope: EventEnvelope) -> None:
        if not fixed:
            raise ValueError("no rule for this case yet")
        await record_effect(conn, event, envelope)

    broker = await consuming(event_class, broken_until_fixed)
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
    pool: asyncpg.Pool, event_class: type[Counted], broker_factory: BrokerFactory
) -> None:
    down = _DatabaseDown()
    current: dict[str, Any] = {"pool": down}
    registry = CollectorRegistry()
    broker = broker_factory("outage-test")
    consumers = EventConsumers(
        service="tests", broker=broker, pool=lambda: current["pool"], registry=registry,
        max_attempts=2, retry_backoff_s=0.01,
    )  # fmt: skip
    consumers.subscribe(event_class, record_effect)
    await broker.start()
    try:
        envelope = _envelope(event_class, 1)
        await _send(broker, event_class.topic(), envelope)

        async def outlasted_the_retry_limit() -> bool:
            return down.attempts > 3  # more than max_attempts: not treated as the event's fault

        await wait_for(outlasted_the_retry_limit, what="redeliveries during the outage")
        current["pool"] = pool  # PostgreSQL is back

        async def processed() -> bool:
            return await _effects_of(pool, envelope) == 1

        await wait_for(processed, what="the event after the outage")
    finally:
        await broker.stop()
    dead = registry.get_sample_value(
        "events_processed_total", {"topic": event_class.topic(), "outcome": "dead_lettered"}
    )
    assert dead is None  # never counted, so never sent to the dead-letter topic
