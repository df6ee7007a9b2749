"""A service as two processes (``PROCESS_PARTS``, #25), on real Kafka and PostgreSQL: each of
its parts runs only in a process told to run it, and what a process leaves waits for the
other: events on Kafka for the one with ``consumers``, outbox rows for the one with the
``relay``, messages to send for the one with ``workers`` (notifications' sender). Referrals'
intake gate reads the pipeline's backlog in every process (``ServiceDefinition.serving``): a
process of its routes without the workers still refuses referrals while the pipeline is behind.

Each process is an app of the service in this test's process, with its own pools, broker and
lifespan, as a second deployment would be; the parts are given as a deployment gives them, in
the environment. What a process never does is watched for ``QUIET_S``: many times what it takes
the part when it runs (the relay and the sender poll every ``POLL_S`` and are woken at once)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from fastapi import FastAPI
from notifications.app import create_app
from notifications.config import NotificationsSettings
from notifications.handlers import subscriptions
from referrals.overload import BACKLOG

from scripts.platform import IdentityProvider, migrations_of, service_url
from shared.events import (
    DomainEvent,
    NotificationDelivered,
    NotificationFailed,
    NotificationSent,
    ReferralReceived,
    wrap,
)
from shared.migrations import owner_connection
from shared.settings import KafkaSettings
from shared.state import service_state
from shared.topics import dead_letter_topic, delete_namespace, ensure_topics
from tests import namespaces
from tests.conftest import Databases, Infrastructure
from tests.events import referral_request, sample_event
from tests.integration.conftest import wait_for
from tests.integration.messaging import COUNCIL, contact
from tests.integration.referrals_app import referrals_service, signed_in
from tests.logging_state import restored_logging

POLL_S = 0.1
QUIET_S = 2.0


@pytest.fixture(scope="module")
async def kafka(infrastructure: Infrastructure) -> AsyncIterator[KafkaSettings]:
    """The module's namespace: every topic notifications reads, and those it publishes."""
    settings = KafkaSettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers,
        namespace=namespaces.namespace("parts"),
    )
    read = [s.event_class.topic() for s in subscriptions]
    published = [e.topic() for e in (NotificationSent, NotificationDelivered, NotificationFailed)]
    await ensure_topics(settings, [*read, *map(dead_letter_topic, read), *published])
    yield settings
    await delete_namespace(settings)


@pytest.fixture(scope="module")
async def url(databases: Databases) -> str:
    return await databases.fresh("parts", "notifications", migrations_of("notifications"))


@asynccontextmanager
async def notifications(
    url: str, kafka: KafkaSettings, parts: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FastAPI]:
    """A notifications process running ``parts`` (PROCESS_PARTS), started and ready."""
    monkeypatch.setenv("PROCESS_PARTS", parts)
    with restored_logging():
        app = create_app(
            NotificationsSettings(
                database_url=service_url(url),
                kafka_bootstrap_servers=kafka.kafka_bootstrap_servers,
                SEND_NAMESPACE=kafka.namespace,
                outbox_poll_interval_s=POLL_S,
            )
        )
    async with app.router.lifespan_context(app):
        await ready(app)
        yield app


async def ready(app: FastAPI) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:

        async def checks_ok() -> bool:
            answer = await client.get("/health/ready")
            checks = answer.json().get("checks", {}) if answer.status_code == 200 else {}
            return bool(checks) and all(state == "ok" for state in checks.values())

        await wait_for(checks_ok, timeout_s=60, what="the process ready (PostgreSQL and Kafka)")


async def publish(kafka: KafkaSettings, *events: DomainEvent) -> None:
    producer = AIOKafkaProducer(**kafka.kafka_client_options())
    await producer.start()
    try:
        for event in events:
            envelope = wrap(event, source="/tests", local_authority=COUNCIL)
            await producer.send_and_wait(
                f"{kafka.namespace}{event.topic()}",
                envelope.model_dump_json().encode(),
                key=event.key().encode(),
            )
    finally:
        await producer.stop()


async def a_new_family(kafka: KafkaSettings) -> UUID:
    """A referral and its family's contact on Kafka: notifications' request-received message."""
    referral_id = uuid4()
    await publish(kafka, contact(referral_id), sample_event(ReferralReceived, referral_id))
    return referral_id


async def owner_fetch(url: str, query: str, *args: object) -> list[asyncpg.Record]:
    owner = await owner_connection(url)
    try:
        return list(await owner.fetch(query, *args))
    finally:
        await owner.close()


async def messages(url: str, referral_id: UUID) -> list[str]:
    """The statuses of the referral's messages."""
    rows = await owner_fetch(
        url, "SELECT status FROM notifications WHERE referral_id = $1", referral_id
    )
    return [r["status"] for r in rows]


async def sent_events(url: str, referral_id: UUID) -> list[bool]:
    """For each *notification sent* event of the referral's in the outbox: published yet."""
    rows = await owner_fetch(
        url,
        "SELECT published_at IS NOT NULL AS published FROM outbox WHERE topic = $1 AND key = $2",
        NotificationSent.topic(),
        str(referral_id),
    )
    return [r["published"] for r in rows]


async def stays(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    """``condition`` holds at every look for ``QUIET_S``."""
    deadline = asyncio.get_running_loop().time() + QUIET_S
    while asyncio.get_running_loop().time() < deadline:
        assert await condition(), what
        await asyncio.sleep(0.05)


async def test_a_process_without_consumers_never_takes_an_event_it_waits_for_the_one_with_them(
    url: str, kafka: KafkaSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with notifications(url, kafka, "relay,workers", monkeypatch) as rest:
        assert not service_state(rest).broker.subscribers  # in no consumer group
        referral_id = await a_new_family(kafka)

        async def untaken() -> bool:
            return await messages(url, referral_id) == []

        await stays(untaken, "an event taken by a process without consumers")
        async with notifications(url, kafka, "consumers", monkeypatch) as consuming:
            assert service_state(consuming).broker.subscribers

            async def sent_and_published() -> bool:
                return await messages(url, referral_id) == ["sent"] and await sent_events(
                    url, referral_id
                ) == [True]

            # Taken by the consumers' process; sent and published by the first one's.
            await wait_for(sent_and_published, timeout_s=60, what="the message sent, published")


async def test_a_process_without_the_relay_leaves_its_outbox_rows_to_the_one_with_it(
    url: str, kafka: KafkaSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with notifications(url, kafka, "consumers,workers", monkeypatch):
        referral_id = await a_new_family(kafka)

        async def sent() -> bool:
            return await sent_events(url, referral_id) != []

        await wait_for(sent, timeout_s=60, what="the message sent (its event in the outbox)")

        async def unpublished() -> bool:
            return await sent_events(url, referral_id) == [False]

        await stays(unpublished, "an outbox row published by a process without the relay")
        async with notifications(url, kafka, "relay", monkeypatch) as relaying:
            assert not service_state(relaying).broker.subscribers

            async def published() -> bool:
                return await sent_events(url, referral_id) == [True]

            await wait_for(published, timeout_s=30, what="the relay's process publishing it")


async def test_a_process_without_workers_never_sends_a_message_the_one_with_them_does(
    url: str, kafka: KafkaSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with notifications(url, kafka, "consumers,relay", monkeypatch):
        referral_id = await a_new_family(kafka)

        async def queued() -> bool:
            return await messages(url, referral_id) == ["queued"]

        await wait_for(queued, timeout_s=60, what="the family's message queued")
        await stays(queued, "a message sent by a process without workers")
        assert await sent_events(url, referral_id) == []
        async with notifications(url, kafka, "workers", monkeypatch):

            async def sent_and_published() -> bool:
                return await messages(url, referral_id) == ["sent"] and await sent_events(
                    url, referral_id
                ) == [True]

            # Sent by the workers' process; its event published by the first one's relay.
            await wait_for(sent_and_published, timeout_s=30, what="the message sent, published")


BACKLOG_BOUND = 2


async def test_referrals_intake_gate_reads_the_backlog_in_a_process_without_workers(
    infrastructure: Infrastructure,
    databases: Databases,
    identity: IdentityProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Referrals split as ``referrals:consumers,workers``: its routes' process runs the relay
    alone, and still refuses a referral while plans is behind (the gate's reading of Kafka is
    a task of every process, not one of the workers)."""
    bootstrap = infrastructure.kafka_bootstrap_servers
    kafka = KafkaSettings(
        kafka_bootstrap_servers=bootstrap, namespace=namespaces.namespace("parts_gate")
    )
    await ensure_topics(kafka, [ReferralReceived.topic()])
    url = await databases.fresh("parts_gate", "referrals", migrations_of("referrals"))
    # The stand-in for plans: a consumer group on referral-received, behind by the bound and one.
    await publish(
        kafka, *(sample_event(ReferralReceived, uuid4()) for _ in range(BACKLOG_BOUND + 1))
    )
    received = f"{kafka.namespace}{ReferralReceived.topic()}"
    plans = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=f"{kafka.namespace}plans.{ReferralReceived.topic()}",
        enable_auto_commit=False,
    )
    await plans.start()
    partitions = [TopicPartition(received, p) for p in range(kafka.kafka_topic_partitions)]
    plans.assign(partitions)
    await plans.commit(dict.fromkeys(partitions, 0))
    monkeypatch.setenv("PROCESS_PARTS", "relay")
    # The gauge is the process's, not the app's: an earlier test's app may have left it above
    # the bound, which would read as this app's gate being behind before it read anything.
    BACKLOG.set(-1)
    service = referrals_service(
        url,
        identity,
        kafka_bootstrap_servers=bootstrap,
        SEND_NAMESPACE=kafka.namespace,
        accept_test_nhs_numbers=True,
        intake_backlog_events=BACKLOG_BOUND,
        intake_backlog_interval_s=0.2,
    )
    try:
        async with (
            service as app,
            app.router.lifespan_context(app),
            await signed_in(app, identity, "leeds-caseworker") as client,
        ):
            assert not service_state(app).broker.subscribers  # its consumers are elsewhere

            async def behind() -> bool:
                for line in (await client.get("/metrics")).text.splitlines():
                    if line.startswith("send_pipeline_backlog_events "):
                        return float(line.split()[1]) > BACKLOG_BOUND
                return False

            await wait_for(behind, timeout_s=60, what="the backlog read: plans behind")
            refused = await client.post("/v1/referrals", json=referral_request())
    finally:
        await plans.stop()
        await delete_namespace(kafka)
    assert refused.status_code == 503, refused.text
    assert "behind" in refused.json()["detail"]
