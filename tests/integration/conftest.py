"""Real PostgreSQL and Kafka for the shared mechanisms: a fresh database per session, fresh
topics per test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar
from uuid import uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

from shared.broker import create_broker
from shared.events import DomainEvent
from shared.settings import KafkaSettings
from shared.topics import dead_letter_topic, ensure_topics
from tests import namespaces
from tests.conftest import Databases, Infrastructure

HERE = Path(__file__).parent
BrokerFactory = Callable[..., KafkaBroker]


class Counted(DomainEvent):
    """A test event; each test gets its own subclass, hence its own topic."""

    name: ClassVar[str] = "counted"
    owner: ClassVar[str] = "tests"
    sequence: int


@pytest.fixture(scope="session")
async def database_url(databases: Databases) -> str:
    return await databases.fresh("mechanisms", "tests", HERE / "migrations")


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    p = await asyncpg.create_pool(database_url, min_size=1, max_size=5)
    await p.execute("TRUNCATE outbox, inbox, effects")
    yield p
    await p.close()


@pytest.fixture
def kafka_settings(infrastructure: Infrastructure) -> KafkaSettings:
    return KafkaSettings(kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers)


@pytest.fixture
async def event_class(kafka_settings: KafkaSettings) -> AsyncIterator[type[Counted]]:
    """A ``Counted`` subclass with a topic of its own (and its dead-letter topic), deleted
    when the test ends."""
    name = namespaces.stamped("counted", hex_digits=10)
    cls: type[Counted] = type(f"Counted{name[-10:]}", (Counted,), {"name": name})
    topics = [cls.topic(), dead_letter_topic(cls.topic())]
    await ensure_topics(kafka_settings, topics)
    yield cls
    admin = AIOKafkaAdminClient(**kafka_settings.kafka_client_options())
    await admin.start()
    try:
        await admin.delete_topics(topics)
    finally:
        await admin.close()


@pytest.fixture
def broker_factory(kafka_settings: KafkaSettings) -> BrokerFactory:
    def make(client_id: str, middlewares: Sequence[Any] = ()) -> KafkaBroker:
        return create_broker(
            kafka_settings,
            client_id=client_id,
            tracer_provider=TracerProvider(),
            registry=CollectorRegistry(),
            middlewares=middlewares,
        )

    return make


async def read_topic(
    bootstrap: str, topic: str, count: int, timeout_s: float = 30, key: str | None = None
) -> list[Any]:
    """The first ``count`` records of ``topic`` (all partitions), waiting up to the timeout;
    with ``key``, the first ``count`` with that key (a topic other tests write to too)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=f"reader-{uuid4().hex}",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[Any] = []
    try:
        async with asyncio.timeout(timeout_s):
            while len(records) < count:
                batch = await consumer.getmany(timeout_ms=500)
                for partition_records in batch.values():
                    records.extend(
                        r for r in partition_records if key is None or r.key == key.encode()
                    )
    finally:
        await consumer.stop()
    return records


async def wait_for(
    condition: Callable[[], Awaitable[bool]], timeout_s: float = 30, what: str = "condition"
) -> None:
    """Poll ``condition`` until it holds; fails the test after ``timeout_s``."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.05)
