"""Two consumers' batches with referrals in common, in opposite orders, pass without a
deadlock (issue #25): each batch takes its referrals' locks first, in the order of their ids
(``shared.referral_locks``), so the second waits for the first instead of each holding what the
other wants. Real Kafka and PostgreSQL; the handlers lock a referral as plans' and
notifications' do (an advisory lock on its id), each as it comes to the referral."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from uuid import uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import UnknownTopicOrPartitionError

from shared.events import Envelope, wrap
from shared.settings import KafkaSettings
from shared.subscriptions import Events, Uow
from shared.topics import dead_letter_topic, ensure_topics
from tests import namespaces
from tests.integration.conftest import Counted, wait_for
from tests.integration.test_consumption import Start, consuming  # noqa: F401  # the fixture


@pytest.fixture
async def two_topics(kafka_settings: KafkaSettings) -> AsyncIterator[list[type[Counted]]]:
    classes: list[type[Counted]] = []
    for _ in range(2):
        name = namespaces.stamped("counted", hex_digits=10)
        classes.append(type(f"Counted{name[-10:]}", (Counted,), {"name": name}))
    topics = [t for c in classes for t in (c.topic(), dead_letter_topic(c.topic()))]
    await ensure_topics(kafka_settings, topics)
    yield classes
    admin = AIOKafkaAdminClient(**kafka_settings.kafka_client_options())
    await admin.start()
    try:
        await admin.delete_topics(topics)
    finally:
        await admin.close()


def sent(producer: AIOKafkaProducer, topic: str, value: bytes) -> Callable[[], Awaitable[bool]]:
    """Send ``value`` once the broker knows ``topic`` (just made: its metadata may lag)."""

    async def once() -> bool:
        try:
            await producer.send_and_wait(topic, value, key=b"one")
        except UnknownTopicOrPartitionError:
            return False
        return True

    return once


async def test_two_batches_with_referrals_in_common_in_opposite_orders_do_not_deadlock(
    pool: asyncpg.Pool,
    two_topics: list[type[Counted]],
    consuming: Start,  # noqa: F811  # the fixture
    kafka_settings: KafkaSettings,
) -> None:
    first, second = uuid4(), uuid4()
    arrived: list[str] = []
    both_hold_one = asyncio.Event()
    deadlocks = 0

    async def locking(message: Envelope[Counted], uow: Uow) -> Events:
        """Lock the referral, as plans' and notifications' handlers do; the first event of
        each batch waits (a little) for the other batch to hold its first referral too."""
        nonlocal deadlocks
        try:
            await uow.conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", message.subject
            )
        except asyncpg.DeadlockDetectedError:
            deadlocks += 1
            raise
        if message.data.sequence == 1 and message.type not in arrived:
            arrived.append(message.type)
            if len(arrived) == 2:
                both_hold_one.set()
            with contextlib.suppress(TimeoutError):  # the other batch may be waiting for us
                await asyncio.wait_for(both_hold_one.wait(), timeout=3)
        await uow.conn.execute(
            "INSERT INTO effects (referral_id, event_id, sequence) VALUES ($1, $2, $3)",
            message.data.referral_id,
            message.id,
            message.data.sequence,
        )
        return []

    # Each topic's batch: both referrals, one topic in one order, the other in the other;
    # one key a topic, so each batch comes in the order it was written. Written before either
    # consumer starts, so each takes its two events in one batch.
    producer = AIOKafkaProducer(**kafka_settings.kafka_client_options())
    await producer.start()
    try:
        for event_class, order in zip(two_topics, ([first, second], [second, first]), strict=True):
            for sequence, referral_id in enumerate(order, start=1):
                event = event_class(referral_id=referral_id, sequence=sequence)
                envelope = wrap(event, source="/tests", local_authority="E08000035")
                await wait_for(
                    sent(producer, event_class.topic(), envelope.model_dump_json().encode()),
                    what="a topic just made known to the broker",
                )
    finally:
        await producer.stop()
    for event_class in two_topics:
        await consuming(event_class, locking)

    async def all_four() -> bool:
        return int(await pool.fetchval("SELECT count(*) FROM effects")) == 4

    await wait_for(all_four, timeout_s=60, what="both batches handled")
    assert deadlocks == 0
