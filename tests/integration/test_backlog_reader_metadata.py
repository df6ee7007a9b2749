"""The overload gate's backlog reader asks Kafka for the whole cluster's metadata, and for each
group's coordinator, once, not at every reading.

``list_consumer_groups`` without the brokers asks for the metadata of every topic in the
cluster to learn them: once a second, on a broker shared with test runs (thousands of
partitions), that was the largest part of the referrals process's CPU in a drain (issue #25)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from referrals.overload import PipelineBacklog

from tests.conftest import Infrastructure

READINGS = 15


async def test_readings_after_the_first_ask_for_no_metadata_of_every_topic(
    infrastructure: Infrastructure, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole_cluster: list[None] = []
    original = AIOKafkaAdminClient._get_cluster_metadata

    async def counted(self: AIOKafkaAdminClient, topics: list[str] | None = None) -> Any:
        if not topics:  # None or []: every topic of the cluster
            whole_cluster.append(None)
        return await original(self, topics)

    monkeypatch.setattr(AIOKafkaAdminClient, "_get_cluster_metadata", counted)
    options: dict[str, object] = {"bootstrap_servers": infrastructure.kafka_bootstrap_servers}
    reader = PipelineBacklog(options, namespace="metadata-check.", intake_topics=(), interval_s=0)
    running = asyncio.create_task(reader.run(None))  # type: ignore[arg-type]
    try:
        async with asyncio.timeout(60):
            for _ in range(READINGS):
                await reader.read_again.wait()
        assert reader.events == 0  # read, not unknown: no group of this namespace
    finally:
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running

    assert len(whole_cluster) <= 1  # the brokers, read once; was one a reading


@pytest.fixture
async def committed_groups(infrastructure: Infrastructure) -> AsyncIterator[tuple[str, list[str]]]:
    """A namespace whose topic has 5 events and three services' groups: ``plans.one``
    committed at 2, ``notifications.two`` at 5, ``specialists.idle`` at nothing (a
    subscription that has never had an event). Yields the namespace and the groups."""
    namespace = f"coordinator-check-{uuid4().hex[:8]}."
    topic = f"{namespace}plans.plan-drafted.v1"
    committed = {f"{namespace}plans.one": 2, f"{namespace}notifications.two": 5}
    idle = f"{namespace}specialists.idle"
    admin = AIOKafkaAdminClient(bootstrap_servers=infrastructure.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        producer = AIOKafkaProducer(bootstrap_servers=infrastructure.kafka_bootstrap_servers)
        await producer.start()
        try:
            for n in range(5):
                await producer.send_and_wait(topic, f"event {n}".encode())
        finally:
            await producer.stop()
        partition = TopicPartition(topic, 0)
        for group, offset in committed.items():
            committer = AIOKafkaConsumer(
                group_id=group,
                enable_auto_commit=False,
                bootstrap_servers=infrastructure.kafka_bootstrap_servers,
            )
            await committer.start()
            try:
                committer.assign([partition])
                await committer.commit({partition: offset})
            finally:
                await committer.stop()
        waiting = AIOKafkaConsumer(
            topic, group_id=idle, bootstrap_servers=infrastructure.kafka_bootstrap_servers
        )
        await waiting.start()  # a member, never committing: a group with no offsets
        try:
            yield namespace, [*committed, idle]
        finally:
            await waiting.stop()
    finally:
        await admin.delete_topics([topic])
        await admin.close()


async def _readings(infrastructure: Infrastructure, namespace: str) -> list[int | None]:
    options: dict[str, object] = {"bootstrap_servers": infrastructure.kafka_bootstrap_servers}
    reader = PipelineBacklog(options, namespace=namespace, intake_topics=(), interval_s=0)
    running = asyncio.create_task(reader.run(None))  # type: ignore[arg-type]
    seen: list[int | None] = []
    try:
        async with asyncio.timeout(60):
            for _ in range(READINGS):
                await reader.read_again.wait()
                seen.append(reader.events)
    finally:
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
    return seen


def _looked_up(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The groups whose coordinator is asked for, in order, from now on."""
    looked_up: list[str] = []
    original = AIOKafkaAdminClient.find_coordinator

    async def counted(self: AIOKafkaAdminClient, group_id: str, *args: Any) -> int:
        looked_up.append(group_id)
        coordinator: int = await original(self, group_id, *args)
        return coordinator

    monkeypatch.setattr(AIOKafkaAdminClient, "find_coordinator", counted)
    return looked_up


async def test_a_committed_groups_coordinator_is_found_once_not_at_every_reading(
    infrastructure: Infrastructure,
    monkeypatch: pytest.MonkeyPatch,
    committed_groups: tuple[str, list[str]],
) -> None:
    """Every reading gives the groups' lag; the coordinator of each group with committed
    offsets is looked up once (it was a ``FindCoordinator`` a group a reading: with the
    platform's 72 groups, 72 requests a second more, idle or not). A group with none is asked
    about at every reading: its empty answer cannot be told from a moved coordinator's."""
    namespace, (one, two, idle) = committed_groups
    looked_up = _looked_up(monkeypatch)

    seen = await _readings(infrastructure, namespace)

    assert seen == [3] * READINGS  # (5 - 2) + (5 - 5) + nothing, at every reading
    assert looked_up.count(one) == 1  # was once a reading
    assert looked_up.count(two) == 1
    assert looked_up.count(idle) == READINGS


async def test_a_kept_coordinator_that_answers_nothing_is_looked_up_again_at_once(
    infrastructure: Infrastructure,
    monkeypatch: pytest.MonkeyPatch,
    committed_groups: tuple[str, list[str]],
) -> None:
    """A coordinator that has moved answers ``NOT_COORDINATOR`` for the whole request, which
    aiokafka gives as no offsets at all: the reader looks the group's coordinator up again and
    reads its offsets from it in the same reading, so no reading undercounts the lag."""
    namespace, (one, _, _) = committed_groups
    original = AIOKafkaAdminClient.list_consumer_group_offsets
    calls = 0

    async def moved_once(self: AIOKafkaAdminClient, group_id: str, *args: Any) -> Any:
        nonlocal calls
        if group_id == one:
            calls += 1
            if calls == 5:  # a kept coordinator's answer, after the first readings
                return {}  # as aiokafka returns a NOT_COORDINATOR
        return await original(self, group_id, *args)

    monkeypatch.setattr(AIOKafkaAdminClient, "list_consumer_group_offsets", moved_once)
    looked_up = _looked_up(monkeypatch)

    seen = await _readings(infrastructure, namespace)

    assert seen == [3] * READINGS  # the reading it happened in too
    assert looked_up.count(one) == 2  # once at first, once when it answered nothing
