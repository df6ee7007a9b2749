"""Runs sharing one Kafka never see each other's events (SEND_NAMESPACE)."""

from __future__ import annotations

import asyncio
import time

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from scripts.platform import Platform
from shared.events import ALL_EVENTS, PartnerEvent
from shared.services import SERVICES
from shared.settings import KafkaSettings
from shared.topics import PARTNER_INBOUND_TOPIC, dead_letter_topic
from tests.e2e.conftest import FOREIGN_EVENTS, JOURNEY_WAIT_S, wait_for_timeline
from tests.e2e.test_journey import referral_body
from tests.events import sample_topic
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
    referrals_api: httpx.AsyncClient,
    kafka: KafkaSettings,
    foreign_run: KafkaSettings,
    platform: Platform,
) -> None:
    bootstrap = kafka.kafka_bootstrap_servers
    foreign_topics = [f"{foreign_run.namespace}{sample_topic(e)}" for e in ALL_EVENTS]
    assert await _messages_on(bootstrap, foreign_topics) == FOREIGN_EVENTS * len(ALL_EVENTS)

    async def journey() -> float:
        started = time.perf_counter()
        created = await referrals_api.post("/v1/referrals", json=referral_body())
        await wait_for_timeline(referrals_api, created.json()["id"])  # JOURNEY_WAIT_S
        return time.perf_counter() - started

    took = await asyncio.gather(*(journey() for _ in range(3)))
    # A figure, not an assertion (timings vary with the machine): the bound is the fresh-run
    # tests' wait above; what proves there was no stall is below.
    print(
        f"isolation: 3 journeys with {FOREIGN_EVENTS * len(ALL_EVENTS)} foreign events "
        f"waiting took {', '.join(f'{t:.2f}s' for t in sorted(took))} "
        f"(the fresh-run tests allow {JOURNEY_WAIT_S:.0f}s)"
    )

    # The stall came from foreign events retried with backoff, then dead-lettered, while the
    # partition behind them waited. Here none was read at all: this run's consumer groups
    # committed offsets on this run's topics only, nobody consumed the foreign ones, and no
    # service counted an event (processed, retried into the DLQ or invalid) of theirs.
    committed = await _committed_topics(bootstrap, kafka.namespace)
    assert committed, "this run's consumer groups committed nothing"
    assert {t for topics in committed.values() for t in topics} <= {
        f"{kafka.namespace}{sample_topic(e)}" for e in ALL_EVENTS
    } | {f"{kafka.namespace}{t}" for t in [PARTNER_INBOUND_TOPIC, *kafka.partner_topics.values()]}
    assert await _committed_topics(bootstrap, foreign_run.namespace) == {}
    for service in SERVICES:
        async with httpx.AsyncClient() as client:
            exposition = (await client.get(f"{platform.url(service)}/metrics")).text
        assert foreign_run.namespace not in exposition, service

    # Had any foreign event reached a service of this run, its unknown referral would have been
    # dead-lettered (or its plan, allocation and alert would have reached the timeline's DLQ).
    dead_letter_topics = [
        f"{kafka.namespace}{dead_letter_topic(e.topic())}"
        for e in ALL_EVENTS
        if not issubclass(e, PartnerEvent)  # read by its partner alone: no dead letters
    ]
    letters = await _messages_on(bootstrap, dead_letter_topics)
    foreign = [r for r in await _read_all(bootstrap, dead_letter_topics, letters) if FOREIGN in r]
    assert foreign == []


async def _committed_topics(bootstrap: str, namespace: str) -> dict[str, set[str]]:
    """The topics each consumer group of ``namespace`` has committed offsets on."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        groups = [g for g, *_ in await admin.list_consumer_groups() if g.startswith(namespace)]
        return {
            group: {tp.topic for tp in (await admin.list_consumer_group_offsets(group))}
            for group in groups
        }
    finally:
        await admin.close()
