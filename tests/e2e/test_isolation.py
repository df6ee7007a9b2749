"""Runs sharing one Kafka never see each other's events (SEND_NAMESPACE)."""

from __future__ import annotations

import asyncio

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.events import ALL_EVENTS
from shared.settings import KafkaSettings
from shared.topics import dead_letter_topic
from tests.e2e.conftest import FOREIGN_EVENTS, wait_for_timeline
from tests.e2e.test_journey import referral_body
from tests.integration.conftest import read_topic

FOREIGN = b'"source":"/elsewhere"'  # what every foreign event carries (tests/events.py)


async def _messages_on(bootstrap: str, topics: list[str]) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in consumer.partitions_for_topic(topic) or await _partitions(consumer, topic)
        ]
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()


async def _read_all(bootstrap: str, topics: list[str], count: int) -> list[bytes]:
    """The first ``count`` messages on ``topics`` (all of them, when that is their total)."""
    values: list[bytes] = []
    for topic in topics:
        on_topic = await _messages_on(bootstrap, [topic])
        if on_topic:
            values += [r.value for r in await read_topic(bootstrap, topic, on_topic)]
    assert len(values) == count
    return values


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()  # a fresh consumer knows no topics yet
    return consumer.partitions_for_topic(topic) or set()


async def test_events_left_on_another_runs_topics_never_reach_this_run(
    referrals_api: httpx.AsyncClient, kafka: KafkaSettings, foreign_run: KafkaSettings
) -> None:
    bootstrap = kafka.kafka_bootstrap_servers
    foreign_topics = [f"{foreign_run.namespace}{e.topic()}" for e in ALL_EVENTS]
    assert await _messages_on(bootstrap, foreign_topics) == FOREIGN_EVENTS * len(ALL_EVENTS)

    created = await asyncio.gather(
        *(referrals_api.post("/v1/referrals", json=referral_body()) for _ in range(3))
    )
    await asyncio.gather(*(wait_for_timeline(referrals_api, r.json()["id"]) for r in created))

    # Had any foreign event reached a service of this run, its unknown referral would have been
    # dead-lettered (or its plan, allocation and alert would have reached the timeline's DLQ).
    dead_letter_topics = [f"{kafka.namespace}{dead_letter_topic(e.topic())}" for e in ALL_EVENTS]
    letters = await _messages_on(bootstrap, dead_letter_topics)
    foreign = [r for r in await _read_all(bootstrap, dead_letter_topics, letters) if FOREIGN in r]
    assert foreign == []
