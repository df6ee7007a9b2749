"""The chart's Kafka rights on a real broker that authorizes: each service connects as its own
SCRAM user with only the ACLs its rendered KafkaUser grants, and a referral still goes all the
way to the family alert; a right the chart did not grant is refused."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import GroupAuthorizationFailedError, TopicAuthorizationFailedError

from scripts.platform import REPO_ROOT, IdentityProvider, Platform, database_env
from scripts.run_platform import sample_referral
from shared.dev_identity import fetch_token
from shared.services import EVENT_SERVICES
from shared.topics import ensure_topics
from tests.conftest import Databases
from tests.deploy.conftest import RELEASE, Rendered
from tests.deploy.secure_kafka import SecureKafka, strimzi_acls
from tests.e2e.conftest import JOURNEY, wait_for_timeline
from tests.identity import free_port

pytestmark = pytest.mark.infra

FULLNAME = f"{RELEASE}-send-platform"


def user_of(service: str) -> str:
    return f"{FULLNAME}-{service}"


@pytest.fixture(scope="module")
async def kafka(
    default: Rendered, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SecureKafka]:
    """A broker with a SCRAM user and the ACLs of every KafkaUser the chart renders."""
    users = default.kind("KafkaUser")
    broker = SecureKafka(tmp_path_factory.mktemp("secure-kafka"))
    broker.start(u["metadata"]["name"] for u in users)
    try:
        await broker.wait_ready()
        admin = broker.settings().model_copy(update={"kafka_topic_partitions": 2})
        await ensure_topics(admin)
        lines = [line for user in users for line in strimzi_acls(user)]
        assert f"created {len(lines)} ACLs" in broker.add_acls(lines)
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="module")
async def platform(
    kafka: SecureKafka, databases: Databases, identity: IdentityProvider
) -> AsyncIterator[Platform]:
    urls = await databases.fresh_for_services("rights")
    running = Platform(
        log_dir=REPO_ROOT / ".local" / "logs" / "kafka-rights",
        env={**identity.service_env(), **database_env(urls), "RATE_LIMIT_POST": "1000/minute"},
        # The services that meet on Kafka (the workspace has no Kafka user)
        ports={service: free_port() for service in EVENT_SERVICES},
        service_env={service: kafka.env(user_of(service)) for service in EVENT_SERVICES},
    )
    running.start()
    yield running
    assert running.stop() == dict.fromkeys(EVENT_SERVICES, -signal.SIGTERM)


async def test_a_referral_reaches_the_family_with_only_the_charts_rights(
    platform: Platform, identity: IdentityProvider
) -> None:
    token = await fetch_token(identity.issuer, "leeds-caseworker")
    async with httpx.AsyncClient(
        base_url=platform.url("referrals"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ) as client:
        created = await client.post("/v1/referrals", json=sample_referral())
        assert created.status_code == 201, created.text
        # The log channel delivers nothing: the journey ends at the messages sent.
        sent = tuple(step for step in JOURNEY if step != "family_notified")
        referral = await wait_for_timeline(client, created.json()["id"], sent, timeout_s=60)
    assert [step["step"] for step in referral["timeline"]][:1] == ["referral_received"]


async def _consume(kafka: SecureKafka, user: str, topic: str, group: str) -> None:
    consumer = AIOKafkaConsumer(
        topic, **kafka.settings(user).kafka_client_options(), group_id=group
    )
    try:
        await consumer.start()
        await consumer.getmany(timeout_ms=5000)
    finally:
        await consumer.stop()


async def test_a_service_may_not_read_a_topic_it_does_not_consume(kafka: SecureKafka) -> None:
    # Family contact details go to notifications only: plans may not read them, even in a
    # consumer group of its own.
    with pytest.raises(TopicAuthorizationFailedError):
        await _consume(
            kafka,
            user_of("plans"),
            "referrals.family-contact-registered.v1",
            "plans.referrals.referral-received.v1",
        )


async def test_a_service_may_not_use_another_services_consumer_group(kafka: SecureKafka) -> None:
    # A topic specialists reads, but in referrals' consumer group.
    with pytest.raises(GroupAuthorizationFailedError):
        await _consume(
            kafka,
            user_of("specialists"),
            "plans.plan-drafted.v1",
            "referrals.plans.plan-drafted.v1",
        )


async def test_a_service_may_not_publish_another_services_events(kafka: SecureKafka) -> None:
    producer = AIOKafkaProducer(
        **kafka.settings(user_of("plans")).kafka_client_options(), enable_idempotence=True
    )
    await producer.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait("specialists.specialist-assigned.v1", b"{}")
    finally:
        await producer.stop()


def test_a_service_may_not_create_topics(kafka: SecureKafka) -> None:
    """The README's smoke test: `python -m shared.topics` with a service's credentials."""
    done = subprocess.run(
        [sys.executable, "-m", "shared.topics"],
        env={**kafka.env(user_of("referrals")), "PATH": "/usr/bin:/bin", "SEND_NAMESPACE": "x."},
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )
    assert done.returncode == 1
    assert "TopicAuthorizationFailedError" in done.stderr or "AUTHORIZATION" in done.stderr.upper()
