"""The chart's Kafka rights on a real broker that authorizes: each service connects as its own
SCRAM user with only the ACLs its rendered KafkaUser grants, and a referral still goes all the
way to the family alert; a right the chart did not grant is refused. Two NHS partners (the
development ones, on the shared inbound topic) each get their answers on their own outcome
topic, which the other may not read."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import GroupAuthorizationFailedError, TopicAuthorizationFailedError
from referrals.partner_example import publish_examples

from devtools.dev_identity import fetch_token
from scripts.platform import REPO_ROOT, IdentityProvider, Platform, database_env, free_port
from scripts.run_platform import sample_referral
from shared.events import PartnerReferralAnswered
from shared.services import EVENT_SERVICES
from shared.topics import ensure_topics
from tests.conftest import Databases
from tests.deploy.conftest import RELEASE, Rendered, RenderFn
from tests.deploy.secure_kafka import SecureKafka, strimzi_acls
from tests.e2e.conftest import JOURNEY, wait_for_timeline

pytestmark = pytest.mark.infra

FULLNAME = f"{RELEASE}-send-platform"


def user_of(service: str) -> str:
    return f"{FULLNAME}-{service}"


PARTNERS = ("leeds-community-paediatrics", "west-yorkshire-slt")
"""The development partners (PARTNER_COUNCILS' default, which the services here run with)."""


@pytest.fixture(scope="module")
def with_partners(render: RenderFn) -> Rendered:
    """The default values with the development partners, as KafkaUsers and partnerCouncils."""
    settings = {f"strimzi.partners[{i}].name": p for i, p in enumerate(PARTNERS)}
    settings |= {f"partnerCouncils.{p}[0]": "E08000035" for p in PARTNERS}
    return render(set=settings)


@pytest.fixture(scope="module")
async def kafka(
    with_partners: Rendered, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SecureKafka]:
    """A broker with a SCRAM user and the ACLs of every KafkaUser the chart renders."""
    users = with_partners.kind("KafkaUser")
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
    """docs/kubernetes.md's smoke test: `python -m shared.topics` with a service's credentials."""
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


async def test_a_partner_reads_its_own_answers_and_may_not_read_another_partners(
    kafka: SecureKafka, platform: Platform
) -> None:
    """The example publisher of docs/nhs-partners.md, as each partner's own Kafka user: its
    referrals are answered on its own outcome topic, which it may read; the other partner's it
    may not."""
    for partner in PARTNERS:
        as_partner = kafka.settings(user_of(f"partner-{partner}"))
        answers = await publish_examples(as_partner, timeout_s=60, partner=partner)
        assert {a["outcome"] for a in answers.values()} == {"accepted"}
        assert {a["partner"] for a in answers.values()} == {partner}
    leeds, west = (user_of(f"partner-{p}") for p in PARTNERS)
    with pytest.raises(TopicAuthorizationFailedError):
        await _consume(
            kafka, west, PartnerReferralAnswered.topic_of(PARTNERS[0]), f"{PARTNERS[1]}.x"
        )
    with pytest.raises(TopicAuthorizationFailedError):
        await _consume(
            kafka, leeds, PartnerReferralAnswered.topic_of(PARTNERS[1]), f"{PARTNERS[0]}.x"
        )
