"""The pipeline has database connections of its own (issue #25): the specialists service on real
Kafka and PostgreSQL with one HTTP connection (``DB_POOL_MAX_SIZE=1``), held by a request's open
transaction the whole time, while a plan drafted is published to its topic. The event is still
consumed and committed (its inbox row, the specialist's answer), the outbox relay still
publishes the answer, and the pod still says it is ready: a flood of requests holding every
HTTP connection never stops the journey behind it. With one pool for everything (before), the
consumer waited for the held connection and nothing moved. And the other way: a scheduled job
holding the pipeline's every connection leaves the routes theirs."""

from __future__ import annotations

import asyncio
from uuid import UUID

import httpx
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter
from faststream.kafka import KafkaRouter
from specialists.app import create_app
from specialists.config import SpecialistsSettings
from specialists.handlers import subscriptions

from scripts.platform import IdentityProvider, migrations_of, service_url
from shared.consumption import EventConsumption
from shared.db import Connection
from shared.events import ReferralWaitlisted, SpecialistAssigned, SpecialistsMatched, wrap
from shared.http import DbConnection
from shared.lifecycle import ServiceDefinition, create_service_app
from shared.migrations import owner_connection
from shared.settings import KafkaSettings
from shared.state import ServiceState, service_state
from shared.topics import dead_letter_topic, ensure_topics
from shared.unit_of_work import Work
from tests import namespaces
from tests.conftest import Databases, Infrastructure
from tests.integration.conftest import wait_for
from tests.integration.specialists_app import plan
from tests.integration.test_in_flight_limit import metric
from tests.logging_state import restored_logging

ANSWERS = (SpecialistAssigned, ReferralWaitlisted, SpecialistsMatched)
"""What specialists may publish about a plan drafted."""


async def handled_and_published(url: str, event_id: UUID, referral_id: UUID) -> bool:
    """The event's inbox row is committed, and an answer about the referral has gone to Kafka
    (read as the tables' owner: neither of the service's pools)."""
    owner = await owner_connection(url)
    try:
        consumed = await owner.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", event_id)
        published = await owner.fetchval(
            "SELECT count(*) FROM outbox WHERE key = $1 AND published_at IS NOT NULL",
            str(referral_id),
        )
    finally:
        await owner.close()
    return bool(consumed == 1 and published >= 1)


async def test_an_event_is_consumed_and_published_while_every_http_connection_is_held(
    infrastructure: Infrastructure, databases: Databases, identity: IdentityProvider
) -> None:
    bootstrap = infrastructure.kafka_bootstrap_servers
    namespace = namespaces.namespace("pools")
    kafka = KafkaSettings(kafka_bootstrap_servers=bootstrap, SEND_NAMESPACE=namespace)
    # Every topic specialists reads (it starts only when all exist), and those it answers on.
    topics = [s.event_class.topic() for s in subscriptions] + [e.topic() for e in ANSWERS]
    await ensure_topics(kafka, topics + [dead_letter_topic(t) for t in topics])
    url = await databases.fresh("pools", "specialists", migrations_of("specialists"))
    app = create_app(
        SpecialistsSettings(
            database_url=service_url(url),
            oidc_issuer=identity.issuer,
            kafka_bootstrap_servers=bootstrap,
            SEND_NAMESPACE=namespace,
            db_pool_max_size=1,
        )
    )
    drafted = plan()
    envelope = wrap(drafted, source="/tests", local_authority=drafted.local_authority)
    producer = AIOKafkaProducer(**kafka.kafka_client_options())
    await producer.start()
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://test"
            ) as client,
            # A request's transaction on the routes' only connection, open throughout.
            service_state(app).database.pool().acquire() as held,
            held.transaction(),
        ):
            await held.fetchval("SELECT 1")
            await producer.send_and_wait(
                f"{namespace}{drafted.topic()}",
                envelope.model_dump_json().encode(),
                key=drafted.key().encode(),
            )

            async def done() -> bool:
                return await handled_and_published(url, envelope.id, drafted.referral_id)

            await wait_for(done, timeout_s=90, what="the plan drafted consumed and answered")
            ready = await client.get("/health/ready")
            http_pool_free = service_state(app).database.pool().get_idle_size()
    finally:
        await producer.stop()

    assert http_pool_free == 0  # the routes' one connection was held all along
    # Readiness asks through the pipeline's pool: busy routes are an overload, not unready.
    assert ready.json()["checks"]["postgres"] == "ok", ready.text


async def test_a_job_holding_every_pipeline_connection_leaves_the_routes_theirs(
    databases: Databases,
) -> None:
    url = await databases.fresh("pools_routes", "specialists", migrations_of("specialists"))
    holding: asyncio.Queue[Connection] = asyncio.Queue()

    async def long_job(state: ServiceState) -> None:
        """A job (a drain's batch, the retention job) on the pipeline's only connection."""
        async with state.database.pool().acquire() as conn, conn.transaction():
            await holding.put(conn)
            await asyncio.Event().wait()  # until the service stops

    routes = APIRouter()

    @routes.get("/v1/tests/answer")
    async def answer(conn: DbConnection) -> int:
        return int(await conn.fetchval("SELECT 1"))

    settings = SpecialistsSettings(
        database_url=service_url(url), db_pool_max_size=1, consumer_db_pool_max_size=1
    )
    with restored_logging():
        app = create_service_app(
            ServiceDefinition(settings=settings, workers=(long_job,), routers=(routes,))
        )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        held = await asyncio.wait_for(holding.get(), 30)
        answered = await asyncio.wait_for(client.get("/v1/tests/answer"), 10)
        metrics = (await client.get("/metrics")).text
        assert held.is_in_transaction()  # still the job's, all along

        async def loop_lag_measured() -> bool:  # every process measures its event loop's lag
            return (await metric(client, "send_event_loop_lag_seconds_count") or 0) > 0

        await wait_for(loop_lag_measured, timeout_s=30, what="the event loop's lag measured")

    assert answered.status_code == 200, answered.text
    assert answered.json() == 1
    # What an operator sees: the pipeline's every connection in use, the routes' free.
    assert 'send_db_pool_connections{pool="pipeline",state="in_use"} 1.0' in metrics
    assert 'send_db_pool_max_connections{pool="pipeline"} 1.0' in metrics
    assert 'send_db_pool_connections{pool="http",state="in_use"} 0.0' in metrics
    assert 'send_db_pool_connections{pool="http",state="idle"} 1.0' in metrics


async def test_the_services_own_consumers_take_the_pipelines_connections() -> None:
    """Referrals' NHS partner intake is a consumer of the service's own (``consumers=``): it is
    given the pipeline's units of work, as the event subscriptions' batches are."""
    given: list[Work] = []

    def partner_like(router: KafkaRouter, work: Work, consumption: EventConsumption) -> None:
        given.append(work)
        given.append(consumption.work)

    with restored_logging():
        app = create_service_app(
            ServiceDefinition(settings=SpecialistsSettings(), consumers=(partner_like,))
        )
    async with app.router.lifespan_context(app):
        own, events = given[0].pool(), given[1].pool()
        routes = service_state(app).work.pool()
    assert own is events
    assert own is not routes
