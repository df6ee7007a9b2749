"""A service's life: what it is made of, how its parts are wired, how it starts and stops.

Each service's ``app.py`` describes itself in a ``ServiceDefinition`` (its settings, event
handlers, the events it publishes, its HTTP routers, any background workers) and gets a
FastAPI application from ``create_service_app``. The parts, each in its own module:

- ``shared.consumption``: the subscribers and their exactly-once, failure-classifying middleware;
- ``shared.publishing`` and ``shared.outbox``: declared publishers, the outbox and its relay;
- ``shared.operations``: health, metrics and AsyncAPI routes;
- ``shared.logs``, ``shared.telemetry``, ``shared.metrics``, ``shared.lag``: JSON logs,
  traces, and the measurements ``/metrics`` shows besides the counters;
- ``shared.http``: what the service's own routes depend on.

Two pools of connections to the service's database (issue #25): the HTTP routes' own
(``DB_POOL_MAX_SIZE``), and the pipeline's (``CONSUMER_DB_POOL_MAX_SIZE``): every consumer's
batches, the outbox relay, the scheduled jobs, the outbox backlog's measure and the readiness
check. The relay is on every journey's path (nothing a request or a handler stored reaches
Kafka without it) and the jobs include the family's messages (notifications' sender): with
one pool, a flood of POSTs holding every connection stopped the pipeline behind it, and a long
drain held up the caseworkers' pages. Readiness asks through the pipeline's pool: a pod whose
routes are all busy is overloaded (the in-flight bounds answer that with 503), not unready, and
taking it out of service then would only send its load to the others.

A process runs its service's HTTP routes and the parts ``PROCESS_PARTS`` names (all by default):
its consumers, its outbox relay, its workers. A service split in two deployments (the chart's
``processes``) gives the part that must answer soon its own event loop and GIL: notifications'
sender apart from its consumers and receipts, referrals' intake apart from its consumers (#25).

Kafka or PostgreSQL being down never stops the process from starting: it reports not-ready,
answers 503 and connects once they are back. SIGTERM: the relay and workers stop, then the
consumers finish their in-flight events, then the pools close; each step bounded in time.

(Longer than most modules: the one place where a service's parts are wired together, then
started and stopped in order.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaRouter
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from shared import audit, operations
from shared.adviser_links import ADVISER_PATH_PREFIX
from shared.auth import IdentityProvider
from shared.broker import BrokerConnection, create_broker
from shared.consumption import EventConsumption
from shared.db import Database
from shared.events import DomainEvent
from shared.hardening import harden
from shared.http import install_error_handlers, operation_id
from shared.in_flight import InFlightLimit, outermost
from shared.lag import ConsumerLag
from shared.logs import configure_logging
from shared.metrics import EventLoopLag, OutboxBacklog, measure_periodically, service_registry
from shared.outbox import Outbox, OutboxRelay
from shared.pool_metrics import DatabasePools
from shared.publishing import Publishers
from shared.settings import PROCESS_PARTS, ServiceSettings
from shared.state import ServiceState, install, service_state
from shared.subscriptions import Subscriptions
from shared.telemetry import family_links_unrecorded, sanitized_headers, setup_tracing
from shared.unit_of_work import Work

logger = logging.getLogger(__name__)

Worker = Callable[[ServiceState], Coroutine[Any, Any, None]]
"""A background task of a service (a scheduled job), run until the service stops (cancelled
then): given the service's state as the pipeline sees it (its ``work`` and ``database`` those
of the pipeline's pool, not the routes'), it changes state through ``state.work``."""

Consumer = Callable[[KafkaRouter, Work, EventConsumption], None]
"""Subscribes a consumer of the service's own on its router: for a topic whose messages are
not the platform's events (a partner's), so ``Subscriptions`` cannot read them. It is given
the pipeline's units of work (its pool, not the routes') and the service's
``EventConsumption`` for its metrics (dead letters are counted alike)."""


@dataclass(frozen=True)
class ServiceDefinition:
    """Everything that makes one service what it is."""

    settings: ServiceSettings
    subscriptions: Subscriptions = field(default_factory=Subscriptions)
    publishes: Sequence[type[DomainEvent]] = ()
    routers: Sequence[APIRouter] = ()
    workers: Sequence[Worker] = ()
    serving: Sequence[Worker] = ()
    """Background tasks every process of the service runs, whatever its ``PROCESS_PARTS``:
    what its routes need (referrals' reading of the pipeline's backlog for its intake gate)."""
    consumers: Sequence[Consumer] = ()
    uploads: Sequence[str] = ()
    """Patterns of the paths that take a document (their body may reach MAX_UPLOAD_BYTES)."""
    untraced: Sequence[str] = ()
    """Patterns of the paths whose requests make no server span (as ``health/`` and
    ``metrics``): a provider's callbacks by the thousand, each a trace of one span."""
    callbacks: Sequence[str] = ()
    """The paths a provider calls with a token of its own (GOV.UK Notify's receipts, with the
    council's callback token), never a sign-in token: the rate limits count them by address
    without trying that token as a sign-in (``shared.rate_limits``)."""
    own: object = None
    """The service's own part of its state (``ServiceState.own``): what its routes reach
    through its ``state_of`` and its handlers through ``uow.service``."""
    describe: Callable[[dict[str, Any]], dict[str, Any]] = lambda document: document
    """What the service adds to its generated AsyncAPI document (referrals: the partners'
    raw messages)."""


def create_service_app(definition: ServiceDefinition) -> FastAPI:
    """Wire one service: tracing, database, outbox, broker, consumers, publishers, routes."""
    settings = definition.settings
    service = settings.service
    configure_logging(
        service.name,
        settings.log_level,
        log_format=settings.log_format,
        repeat_interval_s=settings.log_repeat_interval_s,
        family_prefix=settings.family_path_prefix,
        link_prefixes=[ADVISER_PATH_PREFIX],
    )
    registry = service_registry()
    tracer_provider = setup_tracing(service.name)
    database = Database(settings.database_url, max_size=settings.db_pool_max_size)
    pipeline = Database(settings.database_url, max_size=settings.consumer_db_pool_max_size)
    outbox = Outbox(source=settings.event_source, declared=definition.publishes)
    work = Work(database.pool, outbox, service=definition.own)
    pipeline_work = Work(pipeline.pool, outbox, service=definition.own)
    consumption = EventConsumption(
        service=service.name,
        namespace=settings.namespace,
        work=pipeline_work,
        registry=registry,
        max_attempts=settings.consumer_max_attempts,
        retry_backoff_s=settings.consumer_retry_backoff_s,
        batch_size=settings.consumer_batch_size,
        gather_s=settings.consumer_gather_ms / 1000,
    )
    broker = create_broker(
        settings,
        client_id=service.name,
        tracer_provider=tracer_provider,
        registry=registry,
        middlewares=[consumption],
    )
    # Every topic and consumer group carries the run's namespace (SEND_NAMESPACE), so runs
    # sharing a Kafka never see each other's events: FastStream's router prefix for topics.
    router = KafkaRouter(prefix=settings.namespace)
    parts = settings.process_parts
    if "consumers" in parts:  # else another process of the service consumes (PROCESS_PARTS)
        for subscription in definition.subscriptions:
            consumption.subscribe(router, subscription)
        for consumer in definition.consumers:
            consumer(router, pipeline_work, consumption)
    kafka = BrokerConnection(
        broker,
        name=service.name,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_options=settings.kafka_client_options(),
    )
    publishers = Publishers(
        router, definition.publishes, service=service.name, connected=kafka.connected
    )
    broker.include_router(router)
    lag = ConsumerLag(lambda: broker.subscribers, registry=registry)
    backlog = OutboxBacklog(pipeline.pool, registry=registry)
    loop_lag = EventLoopLag(registry=registry)
    DatabasePools({"http": database, "pipeline": pipeline}, registry=registry)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Each connects on first use: they open even while PostgreSQL is down.
        await database.open()
        await pipeline.open()
        relay = OutboxRelay(
            database_url=settings.database_url,
            pool=pipeline.pool(),
            publish=publishers.publish,
            registry=registry,
            poll_interval_s=settings.outbox_poll_interval_s,
            batch_size=settings.outbox_batch_size,
            gather_s=settings.outbox_gather_ms / 1000,
            retention=timedelta(hours=settings.outbox_retention_hours),
        )
        kafka.start()
        as_pipeline = replace(service_state(app), database=pipeline, work=pipeline_work)
        workers = [*definition.serving, *(definition.workers if "workers" in parts else ())]
        # Which of a split service's processes this is, in its log (PROCESS_PARTS): an
        # operator looking for the sender's lines knows which pod's log to read.
        ran = [part for part in PROCESS_PARTS if part in parts]
        logger.info("running: HTTP routes, %s", ", ".join(ran) if ran else "no other part")
        background = [
            *([asyncio.create_task(relay.run(), name="outbox-relay")] if "relay" in parts else []),
            asyncio.create_task(
                measure_periodically(settings.metrics_interval_s, lag.measure, backlog.measure),
                name="metrics",
            ),
            asyncio.create_task(loop_lag.run(), name="event-loop-lag"),
            *(asyncio.create_task(worker(as_pipeline)) for worker in workers),
        ]
        try:
            yield
        finally:
            # The relay and the workers first: nothing is being published while the producer
            # closes (what the last handlers store waits in the outbox for the next relay).
            # Each step is bounded, so the process always exits within its grace period.
            for task in background:
                task.cancel()
            await _bounded(asyncio.gather(*background, return_exceptions=True), "workers")
            await _bounded(kafka.stop(), "kafka")  # the consumers' in-flight events too
            await _bounded(_closed(database, pipeline), "database pool")

    docs = settings.public_docs
    app = FastAPI(
        title=service.title,
        description=service.description,
        version="1",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    install(
        app,
        ServiceState(
            operations=operations.Operations(
                checks={"postgres": pipeline.check, "kafka": kafka.check},
                registry=registry,
                asyncapi=lambda: definition.describe(
                    operations.asyncapi_document(
                        broker,
                        title=f"SEND platform: {service.name}",
                        description=service.description,
                    )
                ),
            ),
            public_docs=docs,
            settings=settings,
            database=database,
            outbox=outbox,
            work=work,
            broker=broker,
            identity_provider=IdentityProvider(
                issuer=settings.oidc_issuer,
                audience=settings.oidc_audience,
                jwks_url=settings.oidc_jwks_url,
                roles_claim=settings.oidc_roles_claim,
                councils_claim=settings.oidc_councils_claim,
                school_urns_claim=settings.oidc_school_urns_claim,
                registry_entry_claim=settings.oidc_registry_entry_claim,
                partner_councils=settings.partner_councils,
            ),
            family_link_key=settings.family_link_key,
            own=definition.own,
        ),
    )
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=tracer_provider,
        excluded_urls=",".join(("health/.*", "metrics", *definition.untraced)),
        server_request_hook=family_links_unrecorded(
            settings.family_path_prefix, ADVISER_PATH_PREFIX
        ),
        http_capture_headers_sanitize_fields=sanitized_headers(),
        # No span of its own for each ASGI message a request reads or answers with ("POST
        # /v1/referrals http receive", "... http send" twice): the request's server span has
        # its route, status and timing; those three more spans cost ~4% of the intake's CPU
        # (issue #25, tests/unit/test_request_spans.py).
        exclude_spans=["receive", "send"],
    )
    instrumentor = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]  # untyped __init__
    if settings.trace_sql and not instrumentor.is_instrumented_by_opentelemetry:  # process-wide
        instrumentor.instrument(tracer_provider=tracer_provider)
    app.include_router(operations.router)
    app.include_router(audit.router)
    for routes in definition.routers:
        app.include_router(routes)
    install_error_handlers(app)
    harden(app, settings, uploads=definition.uploads, callbacks=definition.callbacks)
    # Outside everything, OpenTelemetry's middleware too: a request past the bound costs a
    # counter and an answer, so that an overloaded process can still refuse (issue #25).
    outermost(
        app, lambda inner: InFlightLimit(inner, most=settings.http_in_flight, registry=registry)
    )
    return app


STOP_STEPS_S = {"workers": 10.0, "kafka": 30.0, "database pool": 10.0}
"""How long each step of stopping may take, after uvicorn's HTTP drain: the chart's
``terminationGracePeriodSeconds`` covers their sum (tests/deploy checks it)."""


async def _closed(*databases: Database) -> None:
    """Close the pools side by side (one step of stopping, bounded as one)."""
    await asyncio.gather(*(database.close() for database in databases))


async def _bounded(step: Awaitable[object], what: str) -> None:
    """Await one step of stopping; give up on it (logged) after its ``STOP_STEPS_S``."""
    timeout_s = STOP_STEPS_S[what]
    try:
        await asyncio.wait_for(step, timeout_s)
    except TimeoutError:
        logger.warning("stopping: %s did not finish within %s s; going on", what, timeout_s)
