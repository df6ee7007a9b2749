"""The overload gate's backlog reader asks Kafka for the whole cluster's metadata once, not at
every reading.

``list_consumer_groups`` without the brokers asks for the metadata of every topic in the
cluster to learn them: once a second, on a broker shared with test runs (thousands of
partitions), that was the largest part of the referrals process's CPU in a drain (issue #25)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
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
