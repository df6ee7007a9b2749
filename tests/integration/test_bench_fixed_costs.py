"""``python -m scripts.bench.fixed_costs`` against the project's Kafka: the idle groups it
measures are really there, and the backlog reader it times reads their lag right."""

from __future__ import annotations

from uuid import uuid4

from aiokafka.admin import AIOKafkaAdminClient

from scripts.bench.fixed_costs import PARTITIONS, backlog_reader, idle_consumers
from shared.settings import KafkaSettings
from shared.topics import delete_namespace
from tests.conftest import Infrastructure


async def test_idle_groups_are_made_and_measured(infrastructure: Infrastructure) -> None:
    settings = KafkaSettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers,
        SEND_NAMESPACE=f"fixed-costs-check-{uuid4().hex[:8]}.",
    )
    bootstrap, namespace = settings.kafka_bootstrap_servers, settings.namespace
    try:
        line = await idle_consumers(bootstrap, namespace, 3, 0.5, settle_s=1)
        count, *shares = line.split()  # the groups, then this process's and the broker's CPU
        assert int(count) == 3
        assert len([float(share) for share in shares]) == 2  # two figures, each a number
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            groups = {g for g, *_ in await admin.list_consumer_groups()}
            topics = set(await admin.list_topics())
        finally:
            await admin.close()
        assert {f"{namespace}idle-{n}" for n in range(3)} <= groups
        assert {f"{namespace}idle-{n}" for n in range(3)} <= topics
    finally:
        await delete_namespace(settings)


async def test_the_backlog_reader_reads_every_groups_lag(infrastructure: Infrastructure) -> None:
    settings = KafkaSettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers,
        SEND_NAMESPACE=f"fixed-costs-check-{uuid4().hex[:8]}.",
    )
    try:
        line = await backlog_reader(settings.kafka_bootstrap_servers, settings.namespace, 4, 1)
    finally:
        await delete_namespace(settings)
    # 10 events a partition, each group committed at 5: 5 behind on each partition, each group
    assert f"(lag {4 * PARTITIONS * 5} events)" in line
    readings = int(line.split(": ")[1].split()[0])
    assert readings > 0
