"""``shared.broker.end_offsets`` against real Kafka: the end offsets of many topics a client has
not met yet come in one metadata round, not one round and one retry backoff a topic (how
aiokafka learns them by itself: a namespace's topics took 15 s on the overload gate's and the
bench's first reading)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.broker import end_offsets
from shared.settings import KafkaSettings
from shared.topics import delete_namespace, ensure_topics
from tests import namespaces as test_namespaces

TOPICS = [f"end-offsets.t{n}.v1" for n in range(20)]
BACKOFF_MS = 3000
"""The consumer's retry backoff: aiokafka's own way would take 20 of them (a minute)."""


@pytest.fixture
async def namespace(kafka_settings: KafkaSettings) -> AsyncIterator[KafkaSettings]:
    run = KafkaSettings(
        kafka_bootstrap_servers=kafka_settings.kafka_bootstrap_servers,
        SEND_NAMESPACE=test_namespaces.namespace("endoffsets"),
    )
    await ensure_topics(run, TOPICS)
    yield run
    await delete_namespace(run)


async def _partitions(run: KafkaSettings) -> list[TopicPartition]:
    """Every partition of the namespace's topics, once each has a leader (a client that
    knows them all already: the topics' own readiness is not what is tested)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=run.kafka_bootstrap_servers)
    ready = AIOKafkaConsumer(bootstrap_servers=run.kafka_bootstrap_servers)
    await admin.start()
    await ready.start()
    try:
        names = [f"{run.namespace}{topic}" for topic in TOPICS]
        partitions = [
            TopicPartition(topic["topic"], partition["partition"])
            for topic in await admin.describe_topics(names)
            for partition in topic["partitions"]
        ]
        await ready.end_offsets(partitions)
        return partitions
    finally:
        await ready.stop()
        await admin.close()


async def test_the_end_offsets_of_topics_never_met_come_in_one_round(
    namespace: KafkaSettings,
) -> None:
    partitions = await _partitions(namespace)
    producer = AIOKafkaProducer(bootstrap_servers=namespace.kafka_bootstrap_servers)
    await producer.start()
    try:
        for n in range(3):
            await producer.send_and_wait(partitions[-1].topic, b"x", partition=0, key=b"%d" % n)
    finally:
        await producer.stop()

    fresh = AIOKafkaConsumer(
        bootstrap_servers=namespace.kafka_bootstrap_servers, retry_backoff_ms=BACKOFF_MS
    )
    await fresh.start()
    try:
        # Well inside two backoffs: aiokafka alone would wait one for each topic.
        async with asyncio.timeout(2 * BACKOFF_MS / 1000):
            ends = await end_offsets(fresh, partitions)
    finally:
        await fresh.stop()
    assert set(ends) == set(partitions)
    assert ends[TopicPartition(partitions[-1].topic, 0)] == 3
    assert sum(ends.values()) == 3
