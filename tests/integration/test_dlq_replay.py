"""DLQ replay in a run's namespace (SEND_NAMESPACE), against real PostgreSQL and Kafka: it
reads that namespace's dead letters only, in a consumer group carrying the namespace, and
sends them back to that namespace's topic."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaRouter
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

from shared.broker import create_broker
from shared.consumption import EventConsumption
from shared.dlq import main, replay
from shared.events import Envelope, wrap
from shared.outbox import Outbox
from shared.settings import KafkaSettings
from shared.subscriptions import Events, Subscription, Uow
from shared.topics import dead_letter_topic, delete_namespace, ensure_topics
from shared.unit_of_work import Work
from tests import namespaces as test_namespaces
from tests.integration.conftest import Counted, read_topic, wait_for


@pytest.fixture
async def namespaces(kafka_settings: KafkaSettings) -> AsyncIterator[tuple[KafkaSettings, ...]]:
    """Two runs' settings on the same Kafka: ours, and another's."""
    runs = tuple(
        KafkaSettings(
            kafka_bootstrap_servers=kafka_settings.kafka_bootstrap_servers,
            SEND_NAMESPACE=test_namespaces.namespace(f"replay{name}"),
        )
        for name in ("ours", "theirs")
    )
    yield runs
    for run in runs:
        await delete_namespace(run)


async def _end_offset(bootstrap: str, topic: str) -> int:
    """How many records ``topic`` has ever had (summed over its partitions)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        [described] = await admin.describe_topics([topic])
        partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
        assert partitions, f"no topic {topic}"
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()
        await admin.close()


async def _groups(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return {str(group[0]) for group in await admin.list_consumer_groups()}
    finally:
        await admin.close()


async def test_replay_in_a_namespace_reads_that_namespaces_dead_letters_only(
    pool: asyncpg.Pool,
    event_class: type[Counted],
    kafka_settings: KafkaSettings,
    namespaces: tuple[KafkaSettings, KafkaSettings],
    capsys: pytest.CaptureFixture[str],
) -> None:
    ours, theirs = namespaces
    bootstrap = kafka_settings.kafka_bootstrap_servers
    topic = event_class.topic()
    dlq = dead_letter_topic(topic)
    for run in namespaces:
        await ensure_topics(run, [topic, dlq])  # the un-namespaced ones: event_class made them
    fixed = False

    async def broken_until_fixed(message: Envelope[Counted], uow: Uow) -> Events:
        if not fixed:
            raise ValueError("no rule for this case yet")
        await uow.conn.execute(
            "INSERT INTO effects (referral_id, event_id, sequence) VALUES ($1, $2, $3)",
            message.data.referral_id,
            message.id,
            message.data.sequence,
        )
        return []

    # Our run's service, wired as shared.lifecycle wires it: namespaced router and groups.
    consumption = EventConsumption(
        service="tests",
        namespace=ours.namespace,
        work=Work(lambda: pool, Outbox(source="/tests", declared=[])),
        registry=CollectorRegistry(),
        max_attempts=2,
        retry_backoff_s=0.01,
    )
    broker = create_broker(
        ours,
        client_id="replay-test",
        tracer_provider=TracerProvider(),
        registry=CollectorRegistry(),
        middlewares=[consumption],
    )
    router = KafkaRouter(prefix=ours.namespace)
    consumption.subscribe(router, Subscription(event_class, broken_until_fixed))
    broker.include_router(router)
    await broker.start()
    try:
        envelopes = {
            name: wrap(
                event_class(referral_id=uuid4(), sequence=n),
                source="/tests",
                local_authority="E08000035",
            )
            for n, name in enumerate(("ours", "theirs", "bare"))
        }
        await broker.publish(
            envelopes["ours"].model_dump_json().encode(),
            topic=f"{ours.namespace}{topic}",
            key=envelopes["ours"].subject.encode(),
        )
        await read_topic(bootstrap, f"{ours.namespace}{dlq}", 1)
        # Dead letters of another run and of the un-namespaced one, as their consumers write them.
        for name, namespace in (("theirs", theirs.namespace), ("bare", "")):
            await broker.publish(
                envelopes[name].model_dump_json().encode(),
                topic=f"{namespace}{dlq}",
                key=envelopes[name].subject.encode(),
                headers={"dlq-original-topic": f"{namespace}{topic}", "dlq-reason": "foreign"},
            )

        fixed = True  # the operator fixed the cause and replays, in our run's namespace
        assert await replay(ours, dlq, idle_timeout_s=1) == 1

        async def ours_processed() -> bool:
            count = await pool.fetchval(
                "SELECT count(*) FROM effects WHERE event_id = $1", envelopes["ours"].id
            )
            return bool(count == 1)

        await wait_for(ours_processed, what="our replayed event")
    finally:
        await broker.stop()

    # Nothing foreign was sent back: the other namespaces' event topics got no record.
    assert await _end_offset(bootstrap, f"{theirs.namespace}{topic}") == 0
    assert await _end_offset(bootstrap, topic) == 0
    assert await _end_offset(bootstrap, f"{ours.namespace}{topic}") == 2  # sent, replayed
    # The replay's consumer group carries the namespace, like the services' groups.
    groups = {g for g in await _groups(bootstrap) if g.endswith(dlq)}
    assert groups == {f"{ours.namespace}dlq-replay.{dlq}"}
    # The name as the dead-letter metric labels it (namespaced) is the same topic and group:
    # nothing is replayed twice. The command line, with SEND_NAMESPACE's flag, says so.
    assert await replay(ours, f"{ours.namespace}{dlq}", idle_timeout_s=1) == 0
    await asyncio.to_thread(main, ["replay", dlq, "--namespace", theirs.namespace])
    assert capsys.readouterr().out.strip() == (
        f"replayed 1 message(s) from {theirs.namespace}{dlq}"
    )
