"""What a run's services published and consumed, from Kafka's own offsets: every topic's end
offset and every consumer group's committed offset in the run's namespace. So the figures
per referral are measured, whatever the services' code does, not assumed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.broker import end_offsets
from shared.topics import DLQ_SUFFIX

Partition = tuple[str, int]


@dataclass(frozen=True)
class Offsets:
    """Where every partition and every consumer group of a namespace stood at one moment."""

    ends: Mapping[Partition, int]
    committed: Mapping[str, Mapping[Partition, int]]
    """Group -> partition -> committed offset (partitions it never committed are absent)."""


@dataclass(frozen=True)
class Traffic:
    produced: int
    """Events written to the namespace's topics (dead letters not included)."""
    consumed: int
    """Events the consumer groups committed: each one an event a service handled."""
    dead_lettered: int
    lag: int
    """At the later moment: events on topics a group reads that it has not committed yet."""


def traffic(before: Offsets, after: Offsets) -> Traffic:
    """What happened between two readings (a topic or group new since ``before`` counts from
    zero: topics are read from their beginning)."""
    produced = dead = 0
    for partition, end in after.ends.items():
        added = end - before.ends.get(partition, 0)
        if partition[0].endswith(DLQ_SUFFIX):
            dead += added
        else:
            produced += added
    consumed = sum(
        offset - before.committed.get(group, {}).get(partition, 0)
        for group, offsets in after.committed.items()
        for partition, offset in offsets.items()
    )
    return Traffic(produced, consumed, dead, lag(after))


def lag(offsets: Offsets) -> int:
    """Events waiting, over every topic each group has committed on (all its partitions)."""
    waiting = 0
    for committed in offsets.committed.values():
        for topic in {topic for topic, _ in committed}:
            for partition, end in offsets.ends.items():
                if partition[0] == topic:
                    waiting += end - committed.get(partition, 0)
    return waiting


class OffsetReader:
    """Reads a namespace's offsets (its own clients: no group, nothing committed)."""

    def __init__(self, bootstrap_servers: str, namespace: str) -> None:
        if not namespace:
            raise ValueError("a namespace is needed: the empty one is a deployment's")
        self.namespace = namespace
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers, enable_auto_commit=False
        )

    async def start(self) -> None:
        await self._admin.start()
        await self._consumer.start()

    async def close(self) -> None:
        await self._consumer.stop()
        await self._admin.close()

    async def ends(self, topics: list[str] | None = None) -> dict[Partition, int]:
        """End offsets of ``topics`` (full names), else of every topic of the namespace."""
        described = await self._admin.describe_topics(topics)
        partitions = [
            TopicPartition(topic["topic"], partition["partition"])
            for topic in described
            if topic["topic"].startswith(self.namespace)
            for partition in topic["partitions"]
        ]
        if not partitions:
            return {}
        found = await end_offsets(self._consumer, partitions)
        return {(tp.topic, tp.partition): offset for tp, offset in found.items()}

    async def read(self) -> Offsets:
        groups = [
            group
            for group, *_ in await self._admin.list_consumer_groups()
            if group.startswith(self.namespace)
        ]
        committed: dict[str, dict[Partition, int]] = {}
        for group in sorted(groups):
            offsets = await self._admin.list_consumer_group_offsets(group)
            committed[group] = {
                (tp.topic, tp.partition): meta.offset
                for tp, meta in offsets.items()
                if meta.offset >= 0
            }
        return Offsets(ends=await self.ends(), committed=committed)
