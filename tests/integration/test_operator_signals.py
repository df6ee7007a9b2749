"""What operators watch, measured against real Kafka and PostgreSQL: consumer lag per
partition, the outbox backlog, dead-lettered counts, events' age when handled, and FastStream's
lines in the JSON log.

Uses a database of its own (not the shared ``shared_mechanisms_test``) and topics of its own.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from faststream import AckPolicy
from faststream.kafka import KafkaRouter
from prometheus_client import CollectorRegistry

from shared.consumption import EventConsumption
from shared.events import Envelope, wrap
from shared.lag import ConsumerLag
from shared.logs import configure_logging
from shared.metrics import OutboxBacklog
from shared.outbox import Outbox
from shared.subscriptions import Events, Subscription, Uow
from shared.unit_of_work import Work
from tests.conftest import Databases
from tests.integration.conftest import HERE, BrokerFactory, Counted, wait_for
from tests.logging_state import restored_logging


@pytest.fixture(scope="module")
async def database_url(databases: Databases) -> str:
    return await databases.fresh("operator_signals", "tests", HERE / "migrations")


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await asyncpg.create_pool(database_url, min_size=1, max_size=5)
    yield p
    await p.close()


def lag_by_partition(registry: CollectorRegistry, topic: str) -> dict[str, float]:
    return {
        s.labels["partition"]: s.value
        for family in registry.collect()
        for s in family.samples
        if s.name == "send_consumer_lag" and s.labels["topic"] == topic
    }


async def test_consumer_lag_is_what_waits_behind_the_event_being_handled(
    event_class: type[Counted], broker_factory: BrokerFactory
) -> None:
    topic, group = event_class.topic(), f"lag-{uuid4().hex[:8]}"
    producer = broker_factory("lag-producer")
    await producer.start()
    for n in range(5):  # one key: one partition
        await producer.publish(json.dumps({"n": n}).encode(), topic=topic, key=b"one-referral")
    entered, release = asyncio.Event(), asyncio.Event()
    consumer = broker_factory("lag-consumer")

    @consumer.subscriber(
        topic, group_id=group, auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR
    )
    async def slow(body: dict[str, Any]) -> None:
        entered.set()
        await release.wait()

    registry = CollectorRegistry()
    lag = ConsumerLag(lambda: consumer.subscribers, registry=registry)
    await consumer.start()
    try:
        await asyncio.wait_for(entered.wait(), 30)

        async def four_waiting() -> bool:
            await lag.measure()
            by_partition = lag_by_partition(registry, topic)
            return sorted(by_partition.values())[-1:] == [4] and sum(by_partition.values()) == 4

        await wait_for(four_waiting, what="lag 4 on the partition of the held event")
        groups = {
            s.labels["group"]
            for f in registry.collect()
            for s in f.samples
            if s.name == "send_consumer_lag"
        }
        assert groups == {group}
        release.set()

        async def caught_up() -> bool:
            await lag.measure()
            by_partition = lag_by_partition(registry, topic)
            return bool(by_partition) and sum(by_partition.values()) == 0

        await wait_for(caught_up, what="lag 0 once every event is taken")
    finally:
        release.set()
        await consumer.stop()
        await producer.stop()
    await lag.measure()
    assert lag_by_partition(registry, topic) == {}  # a stopped consumer reports nothing


async def test_outbox_backlog_and_the_age_of_the_row_waiting_longest(
    pool: asyncpg.Pool,
) -> None:
    await pool.execute("TRUNCATE outbox")
    registry = CollectorRegistry()
    backlog = OutboxBacklog(lambda: pool, registry=registry)

    def value(name: str) -> float | None:
        return registry.get_sample_value(name)

    await backlog.measure()
    assert value("send_outbox_backlog") == 0
    assert value("send_outbox_oldest_unpublished_age_seconds") == 0
    outbox = Outbox(source="/tests", declared=[Counted])
    async with pool.acquire() as conn, conn.transaction():
        await outbox.add(
            conn,
            [Counted(referral_id=uuid4(), sequence=n) for n in range(3)],
            local_authority="E08000035",
        )
    await pool.execute(
        "UPDATE outbox SET created_at = now() - interval '90 seconds' "
        "WHERE id = (SELECT min(id) FROM outbox)"
    )
    await backlog.measure()
    assert value("send_outbox_backlog") == 3
    age = value("send_outbox_oldest_unpublished_age_seconds")
    assert age is not None
    assert 90 <= age < 120
    await pool.execute("UPDATE outbox SET published_at = now()")
    await backlog.measure()
    assert value("send_outbox_backlog") == 0
    assert value("send_outbox_oldest_unpublished_age_seconds") == 0


async def test_outbox_backlog_is_absent_while_the_database_cannot_be_asked(
    pool: asyncpg.Pool,
) -> None:
    registry = CollectorRegistry()
    backlog = OutboxBacklog(lambda: pool, registry=registry)
    await backlog.measure()
    assert registry.get_sample_value("send_outbox_backlog") is not None
    await pool.close()
    await backlog.measure()
    assert registry.get_sample_value("send_outbox_backlog") is None
    assert registry.get_sample_value("send_outbox_oldest_unpublished_age_seconds") is None


async def test_dead_lettered_events_are_counted_by_topic_and_exception(
    pool: asyncpg.Pool, event_class: type[Counted], broker_factory: BrokerFactory
) -> None:
    async def refuses(message: Envelope[Counted], uow: Uow) -> Events:
        raise LookupError("unknown referral")  # permanent: dead-lettered at once

    registry = CollectorRegistry()
    consumption = EventConsumption(
        service="tests",
        namespace="",
        work=Work(lambda: pool, Outbox(source="/tests", declared=[])),
        registry=registry,
    )
    broker = broker_factory("dead-letter-metrics", middlewares=[consumption])
    router = KafkaRouter()
    consumption.subscribe(router, Subscription(event_class, refuses))
    broker.include_router(router)
    await broker.start()
    topic = event_class.topic()
    try:
        event = wrap(
            event_class(referral_id=uuid4(), sequence=1), source="/t", local_authority="E08000035"
        )
        await broker.publish(event.model_dump_json().encode(), topic=topic, key=b"k")
        await broker.publish(b"{not json", topic=topic, key=b"k")

        def dead(exception: str) -> float:
            labels = {"topic": topic, "exception": exception}
            return registry.get_sample_value("send_dead_lettered_total", labels) or 0

        async def both_counted() -> bool:
            return dead("LookupError") == 1 and dead("InvalidEvent") == 1

        await wait_for(both_counted, what="one dead-lettered event of each kind")
    finally:
        await broker.stop()


async def test_each_event_handled_is_observed_once_with_its_age(
    pool: asyncpg.Pool, event_class: type[Counted], broker_factory: BrokerFactory
) -> None:
    async def accepts(message: Envelope[Counted], uow: Uow) -> Events:
        return []

    registry = CollectorRegistry()
    consumption = EventConsumption(
        service="tests",
        namespace="",
        work=Work(lambda: pool, Outbox(source="/tests", declared=[])),
        registry=registry,
    )
    broker = broker_factory("event-age-metrics", middlewares=[consumption])
    router = KafkaRouter()
    consumption.subscribe(router, Subscription(event_class, accepts))
    broker.include_router(router)
    topic = event_class.topic()

    def envelope(sequence: int, age: timedelta) -> bytes:
        event = wrap(
            event_class(referral_id=uuid4(), sequence=sequence),
            source="/t",
            local_authority="E08000035",
        )
        return event.model_copy(update={"time": datetime.now(UTC) - age}).model_dump_json().encode()

    old = envelope(1, timedelta(minutes=2))  # written two minutes before it is handled
    await broker.start()
    try:
        for body in (old, old, envelope(2, timedelta(0))):  # the same event twice: once
            await broker.publish(body, topic=topic, key=b"one-referral")

        def sample(name: str, **labels: str) -> float:
            return registry.get_sample_value(name, {"topic": topic, **labels}) or 0

        async def all_taken() -> bool:
            processed = sample("send_events_consumed_total", outcome="processed")
            return processed == 2 and sample("send_events_consumed_total", outcome="duplicate") == 1

        await wait_for(all_taken, what="two events handled and the repeat dropped")
    finally:
        await broker.stop()
    assert sample("send_event_age_seconds_count") == 2
    assert sample("send_event_age_seconds_bucket", le="60.0") == 1  # the new one
    assert sample("send_event_age_seconds_bucket", le="300.0") == 2
    assert 120 <= sample("send_event_age_seconds_sum") < 120 + 2 * 60


async def test_faststream_access_lines_are_json_with_topic_group_and_message_id(
    event_class: type[Counted],
    broker_factory: BrokerFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    topic, group = event_class.topic(), f"logs-{uuid4().hex[:8]}"
    handled = asyncio.Event()
    with restored_logging():
        configure_logging("tests", "INFO")
        broker = broker_factory("access-lines")

        @broker.subscriber(topic, group_id=group, auto_offset_reset="earliest")
        async def handle(body: dict[str, Any]) -> None:
            handled.set()

        await broker.start()
        try:
            await broker.publish(b'{"n": 1}', topic=topic, key=b"k")
            await asyncio.wait_for(handled.wait(), 30)
        finally:
            await broker.stop()
        captured = capsys.readouterr()
    assert captured.out == ""  # FastStream's default handler writes its lines here
    lines = [json.loads(line) for line in captured.err.splitlines() if line.startswith("{")]
    access = [
        line
        for line in lines
        if line["logger"] == "faststream.access.kafka" and line.get("message_id")
    ]
    assert [line["message"] for line in access] == ["Received", "Processed"]
    assert {(line["topic"], line["group_id"]) for line in access} == {(topic, group)}
    assert all(line.startswith("{") for line in captured.err.splitlines())


async def test_every_line_written_while_an_event_is_handled_carries_its_trace(
    pool: asyncpg.Pool,
    event_class: type[Counted],
    broker_factory: BrokerFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """FastStream's Received and Processed (written outside its consume span) and the
    handler's own lines: each with the trace_id of the event's trace and a span_id. And the
    event's age is observed with that trace as its exemplar (a dashboard point's link)."""
    import logging

    from opentelemetry.trace import format_trace_id

    from shared.telemetry import continued_trace, current_trace_headers, setup_tracing

    async def accepts(message: Envelope[Counted], uow: Uow) -> Events:
        logging.getLogger("tests.handlers").info("handled %s", message.id)
        return []

    consumption = EventConsumption(
        service="tests",
        namespace="",
        work=Work(lambda: pool, Outbox(source="/tests", declared=[])),
        registry=(registry := CollectorRegistry()),
    )
    topic = event_class.topic()
    with restored_logging():
        configure_logging("tests", "INFO")
        broker = broker_factory("access-line-traces", middlewares=[consumption])
        router = KafkaRouter()
        consumption.subscribe(router, Subscription(event_class, accepts))
        broker.include_router(router)
        await broker.start()
        try:
            # As the outbox relay publishes: inside the trace of the work that caused it.
            tracer = setup_tracing("tests").get_tracer("test")  # the provider handlers use
            with tracer.start_as_current_span("referral") as cause:
                headers = current_trace_headers()
            event = wrap(
                event_class(referral_id=uuid4(), sequence=1),
                source="/t",
                local_authority="E08000035",
                trace=headers,
            )
            with continued_trace(headers):
                await broker.publish(event.model_dump_json().encode(), topic=topic, key=b"k")

            captured: list[str] = []

            async def processed() -> bool:
                captured.append(capsys.readouterr().err)
                return '"message": "Processed"' in "".join(captured)

            await wait_for(processed, what="the event's Processed line")
        finally:
            await broker.stop()
    lines = [json.loads(line) for line in "".join(captured).splitlines() if line.startswith("{")]
    # This event's lines: FastStream's for its topic and its handler's (other tests' work in
    # this process may write lines of their own traces meanwhile).
    ours = [
        line for line in lines if line.get("topic") == topic or line["logger"] == "tests.handlers"
    ]
    start = next(i for i, line in enumerate(ours) if line["message"] == "Received")
    end = next(i for i, line in enumerate(ours) if line["message"] == "Processed")
    handling = ours[start : end + 1]
    assert [line["message"] for line in handling][:: len(handling) - 1] == ["Received", "Processed"]
    assert f"handled {event.id}" in [line["message"] for line in handling]
    expected = format_trace_id(cause.get_span_context().trace_id)
    missing = [line["message"] for line in handling if "trace_id" not in line]
    assert missing == [], handling
    assert {line["trace_id"] for line in handling} == {expected}
    assert all(len(line["span_id"]) == 16 for line in handling)
    exemplars = [
        sample.exemplar.labels
        for family in registry.collect()
        for sample in family.samples
        if sample.name == "send_event_age_seconds_bucket" and sample.exemplar
    ]
    assert exemplars == [{"trace_id": expected}]
