"""The whole platform: four service processes on real Kafka and PostgreSQL, exporting their
spans over OTLP to a receiver the tests read, and to the local Zipkin (the trace UI of
``make run``), whose API the tests read too."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from devtools.dev_identity import fetch_token
from scripts import trace_ui
from scripts.local_notify import LocalNotifyServer
from scripts.platform import (
    REPO_ROOT,
    IdentityProvider,
    Platform,
    database_env,
    free_port,
)
from shared.events import ALL_EVENTS
from shared.services import SERVICES
from shared.settings import KafkaSettings
from shared.topics import delete_namespace, ensure_topics
from tests import namespaces
from tests.conftest import Databases, Infrastructure
from tests.e2e.otlp_receiver import OtlpReceiver
from tests.events import foreign_bodies, sample_topic


@pytest.fixture(scope="session")
def otlp() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def zipkin() -> str:
    """The local Zipkin's address: started (or waited for, when `make test` launched it) by
    deploy/local/zipkin.sh, one for the whole session (its JVM takes seconds to start); an
    external one at SEND_ZIPKIN_URL is used as it is. Missing, it fails the tests."""
    if "SEND_ZIPKIN_URL" not in os.environ:
        started = subprocess.run(
            ["bash", str(REPO_ROOT / "deploy" / "local" / "zipkin.sh"), "start"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if started.returncode != 0:
            pytest.fail(f"the local Zipkin did not start:\n{started.stderr}", pytrace=False)
    try:
        httpx.get(f"{trace_ui.ZIPKIN_URL}/health", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        pytest.fail(f"Zipkin at {trace_ui.ZIPKIN_URL} does not answer: {exc}", pytrace=False)
    return trace_ui.ZIPKIN_URL


PARTNER_TOPICS = {
    "leeds-community-paediatrics": "nhs.referrals.inbound.leeds-community-paediatrics.v1"
}
"""The NHS partners with an inbound topic of their own in this run (the others share one)."""

ADVICE_PARTNERS = {"E08000035": {"medical": "leeds-community-paediatrics"}}
"""Leeds asks this partner for medical advice over Kafka in this run (#23)."""


@pytest.fixture(scope="session")
async def kafka(infrastructure: Infrastructure) -> AsyncIterator[KafkaSettings]:
    """This run's Kafka namespace, with its topics; deleted when the run ends."""
    settings = KafkaSettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers,
        namespace=namespaces.namespace("e2e"),
        partner_topics=PARTNER_TOPICS,
    )
    await ensure_topics(settings)
    yield settings
    await delete_namespace(settings)


FOREIGN_EVENTS = 40


@pytest.fixture(scope="session")
async def foreign_run(infrastructure: Infrastructure) -> AsyncIterator[KafkaSettings]:
    """Another run's namespace with its events left unconsumed on every topic this platform
    consumes: referrals nobody here knows, as a finished test run or benchmark leaves them."""
    other = KafkaSettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers,
        namespace=namespaces.namespace("other"),
    )
    await ensure_topics(other)
    producer = AIOKafkaProducer(bootstrap_servers=other.kafka_bootstrap_servers)
    await producer.start()
    try:
        for event_class in ALL_EVENTS:
            for body in foreign_bodies(event_class, FOREIGN_EVENTS):
                await producer.send(f"{other.namespace}{sample_topic(event_class)}", body)
        await producer.flush()
    finally:
        await producer.stop()
    yield other
    await delete_namespace(other)


@pytest.fixture(scope="session")
async def platform(
    infrastructure: Infrastructure,
    databases: Databases,
    otlp: OtlpReceiver,
    zipkin: str,
    kafka: KafkaSettings,
    foreign_run: KafkaSettings,
    identity: IdentityProvider,
) -> AsyncIterator[Platform]:
    urls = await databases.fresh_for_services("e2e")
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap_servers,
        "SEND_NAMESPACE": kafka.namespace,
        "PARTNER_TOPICS": json.dumps(kafka.partner_topics),
        "ADVICE_PARTNERS": json.dumps(ADVICE_PARTNERS),
        **identity.service_env(),
        # One client posts every test's referrals: the limits have tests of their own.
        "RATE_LIMIT_POST": "100000/minute",
        "DEADLINE_CHECK_INTERVAL_S": "0.5",  # the scheduler notices a missed deadline at once
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.endpoint,
        **trace_ui.service_env(zipkin),
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        **database_env(urls),
    }
    ports = {service: free_port() for service in SERVICES}  # runs can overlap
    log_dir = REPO_ROOT / ".local" / "logs" / "e2e"
    # Every message goes through a local GOV.UK Notify, whose receipts reach notifications.
    notify = LocalNotifyServer(
        callback_url=f"http://127.0.0.1:{ports['notifications']}/v1/notify/receipts",
        port=free_port(),
        log_dir=log_dir,
    )
    notify.start()
    env.update(notify.service_env())
    running = Platform(log_dir=log_dir, env=env, ports=ports)
    # Started from this thread, not a worker thread: the services are told to exit when the
    # thread that started them ends (see scripts/platform.py).
    running.start()
    running.local_notify = notify  # type: ignore[attr-defined]  # for tests reading its inbox
    yield running
    exit_codes = running.stop()
    notify.stop()
    # SIGTERM lets each service finish its in-flight work and exit by itself within the grace
    # period (uvicorn then re-raises the signal: -15); -9 would mean it had to be killed.
    assert exit_codes == dict.fromkeys(ports, -signal.SIGTERM)


@pytest.fixture(scope="session")
async def caseworker(identity: IdentityProvider) -> dict[str, str]:
    """Headers of a Leeds caseworker signed in at the development identity provider."""
    return {"Authorization": f"Bearer {await fetch_token(identity.issuer, 'leeds-caseworker')}"}


@pytest.fixture
async def referrals_api(
    platform: Platform, caseworker: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=platform.url("referrals"), timeout=10, headers=caseworker
    ) as client:
        yield client


JOURNEY = (
    "referral_received",
    "message_sent",  # request received: what happens next and when
    "family_notified",
    "plan_drafted",
    "specialist_assigned",
    "message_sent",  # a specialist matched
    "family_notified",
)
"""Every step of a referral's journey, each message sent and then delivered (GOV.UK Notify's
receipt); the request-received message may arrive on either side of the plan."""

TEAM_TOLD = (*JOURNEY, "team_alerted")
"""The journey of a child the seed's Leeds North SLT team takes (the tests' LS6 child): the
team is told at its own address too (its message delivered: the team's step)."""


JOURNEY_WAIT_S = 30.0
"""How long the journey tests give a referral's journey on a fresh run (generous: a journey
takes about a second; the bound catches a stall, not a slowdown)."""


async def wait_for_timeline(
    client: httpx.AsyncClient,
    referral_id: str,
    steps: tuple[str, ...] = JOURNEY,
    timeout_s: float = JOURNEY_WAIT_S,
) -> dict[str, Any]:
    """Poll the referral until its timeline holds every one of ``steps`` (as often as they
    are named); returns it. (A referral taken in from a topic is not there at first: 404.)

    Steps arrive on different topics, so the family alert can be on the timeline a moment
    before the specialist step it followed: wait for all of them, not the last one.
    """
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        referral: dict[str, Any] = (await client.get(f"/v1/referrals/{referral_id}")).json()
        if Counter(steps) <= Counter(e["step"] for e in referral.get("timeline", [])):
            return referral
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(
                f"referral {referral_id}: timeline incomplete after {timeout_s}s: {referral}"
            )
        await asyncio.sleep(0.05)
