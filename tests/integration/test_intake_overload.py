"""Past capacity the intake says so at once (issue #25): the referrals service on real Kafka and
PostgreSQL, a burst of referrals far past what it takes in at once and a pipeline that falls
behind (a stand-in for plans' consumer group that does not commit), with a client that does
what ``Retry-After`` says. Every request is answered (201, or 503 with ``Retry-After``), every
referral answered 201 is stored and published, and once the pipeline catches up the intake
takes referrals again and the client gets every one in."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from uuid import UUID, uuid4

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from scripts.platform import IdentityProvider, migrations_of
from shared.events import ReferralReceived
from shared.migrations import owner_connection
from shared.settings import KafkaSettings
from shared.topics import ensure_topics, platform_topics
from tests import namespaces
from tests.conftest import Databases, Infrastructure
from tests.events import referral_request
from tests.integration.conftest import wait_for
from tests.integration.referrals_app import referrals_service, signed_in

BURST = 40
BACKLOG_BOUND = 20
"""Fewer events than the burst makes for the stand-in plans: the pipeline falls behind."""


class RetryingClient:
    """A caseworker's system that honours ``Retry-After``: each referral sent again, with its
    Idempotency-Key, until it is taken in. Every answer is kept."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.answers: list[httpx.Response] = []

    async def refer(self, deadline_s: float = 120) -> UUID:
        body, key = referral_request(), str(uuid4())
        until = time.monotonic() + deadline_s
        while time.monotonic() < until:
            answer = await self.client.post(
                "/v1/referrals", json=body, headers={"Idempotency-Key": key}
            )
            self.answers.append(answer)
            if answer.status_code == 201:
                return UUID(answer.json()["id"])
            await asyncio.sleep(float(answer.headers.get("retry-after", "1")))
        raise AssertionError("a referral was never taken in")


async def published(url: str) -> int:
    """Referral-received events the relay has published to Kafka."""
    owner = await owner_connection(url)
    try:
        return int(
            await owner.fetchval(
                "SELECT count(*) FROM outbox WHERE topic = $1 AND published_at IS NOT NULL",
                ReferralReceived.topic(),
            )
        )
    finally:
        await owner.close()


async def backlog_of(client: httpx.AsyncClient) -> float | None:
    for line in (await client.get("/metrics")).text.splitlines():
        if line.startswith("send_pipeline_backlog_events "):
            return float(line.split()[1])
    return None


async def test_an_overloaded_intake_answers_every_request_loses_nothing_and_recovers(
    infrastructure: Infrastructure, databases: Databases, identity: IdentityProvider
) -> None:
    bootstrap = infrastructure.kafka_bootstrap_servers
    namespace = namespaces.namespace("overload")
    kafka = KafkaSettings(kafka_bootstrap_servers=bootstrap, SEND_NAMESPACE=namespace)
    await ensure_topics(kafka, platform_topics(kafka))
    url = await databases.fresh("overload", "referrals", migrations_of("referrals"))
    # The stand-in for plans: a consumer group on referral-received that commits nothing yet.
    received = f"{namespace}{ReferralReceived.topic()}"
    plans = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=f"{namespace}plans.{ReferralReceived.topic()}",
        enable_auto_commit=False,
    )
    await plans.start()
    partitions = [TopicPartition(received, p) for p in range(kafka.kafka_topic_partitions)]
    plans.assign(partitions)
    await plans.commit(dict.fromkeys(partitions, 0))
    service = referrals_service(
        url,
        identity,
        kafka_bootstrap_servers=bootstrap,
        SEND_NAMESPACE=namespace,
        accept_test_nhs_numbers=True,
        intake_in_flight=2,
        intake_waiting=2,
        intake_wait_ms=20,
        intake_backlog_events=BACKLOG_BOUND,
        intake_backlog_interval_s=0.2,
        intake_retry_after_s=1,
    )
    try:
        async with (
            service as app,
            app.router.lifespan_context(app),
            await signed_in(app, identity, "leeds-caseworker") as client,
        ):
            sender = RetryingClient(client)
            burst = [asyncio.create_task(sender.refer()) for _ in range(BURST)]

            async def behind() -> bool:
                return (await backlog_of(client) or 0) > BACKLOG_BOUND

            await wait_for(behind, timeout_s=60, what="the pipeline past its bound")
            refused_behind = await client.post("/v1/referrals", json=referral_request())
            public_behind = await client.post("/v1/public/requests", json={})  # body unread
            # The stand-in catches up: the pipeline is back within its bound.
            caught_up = time.monotonic()
            await plans.commit(await plans.end_offsets(partitions))
            referral_ids = await asyncio.gather(*burst)
            recovered_s = time.monotonic() - caught_up
            after = await client.post("/v1/referrals", json=referral_request())

            async def all_published() -> bool:
                return await published(url) == BURST + 1

            await wait_for(all_published, timeout_s=60, what="every referral taken in published")
    finally:
        await plans.stop()

    statuses = Counter(a.status_code for a in sender.answers)
    assert set(statuses) <= {201, 503}, statuses  # answered, never a 500 or a hang
    assert all("retry-after" in a.headers for a in sender.answers if a.status_code == 503)
    details = {a.json()["detail"] for a in sender.answers if a.status_code == 503}
    assert any(d.startswith("busy: too many referrals") for d in details), statuses
    assert refused_behind.status_code == 503, refused_behind.text
    assert refused_behind.headers["retry-after"] == "1"
    assert "behind" in refused_behind.json()["detail"]
    assert public_behind.status_code == 503, public_behind.text
    assert "behind" in public_behind.json()["detail"]
    # Everything answered 201 is stored, once, and published.
    assert len(set(referral_ids)) == BURST
    assert after.status_code == 201, after.text
    accepted = {*referral_ids, UUID(after.json()["id"])}
    owner = await owner_connection(url)
    try:
        stored = {r["id"] for r in await owner.fetch("SELECT id FROM referrals")}
    finally:
        await owner.close()
    assert stored == accepted
    assert recovered_s < 30
