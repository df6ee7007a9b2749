"""The overload gate's backlog reader asks Kafka for the whole cluster's metadata, and for each
group's coordinator, once, not at every reading.

``list_consumer_groups`` without the brokers asks for the metadata of every topic in the
cluster to learn them: once a second, on a broker shared with test runs (thousands of
partitions), that was the largest part of the referrals process's CPU in a drain (issue #25)."""

from __future__ import annotations

import asyncio
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


async def test_each_groups_coordinator_is_found_once_not_at_every_reading(
    infrastructure: Infrastructure, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two services' groups with committed offsets: every reading gives their lag, and each
    group's coordinator is looked up once (it was a ``FindCoordinator`` a group a reading:
    with the platform's ~70 groups, 70 requests a second more, idle or not)."""
    namespace = f"coordinator-check-{uuid4().hex[:8]}."
    topic = f"{namespace}plans.plan-drafted.v1"
    groups = {f"{namespace}plans.one": 2, f"{namespace}notifications.two": 5}  # committed at
    options: dict[str, object] = {"bootstrap_servers": infrastructure.kafka_bootstrap_servers}
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        producer = AIOKafkaProducer(**options)
        await producer.start()
        try:
            for n in range(5):
                await producer.send_and_wait(topic, f"event {n}".encode())
        finally:
            await producer.stop()
        partition = TopicPartition(topic, 0)
        for group, offset in groups.items():
            committer = AIOKafkaConsumer(group_id=group, enable_auto_commit=False, **options)
            await committer.start()
            try:
                committer.assign([partition])
                await committer.commit({partition: offset})
            finally:
                await committer.stop()

        looked_up: list[str] = []
        original = AIOKafkaAdminClient.find_coordinator

        async def counted(self: AIOKafkaAdminClient, group_id: str, *args: Any) -> int:
            looked_up.append(group_id)
            coordinator: int = await original(self, group_id, *args)
            return coordinator

        monkeypatch.setattr(AIOKafkaAdminClient, "find_coordinator", counted)
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
        # (5 - 2) + (5 - 5): each group's lag, at every reading
        assert seen == [3] * READINGS
        assert sorted(looked_up) == sorted(groups)  # once each; was once a reading
    finally:
        await admin.delete_topics([topic])
        await admin.close()
