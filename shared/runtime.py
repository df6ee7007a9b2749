"""What every service process runs around its own routes and handlers: tracing, the pool, the
broker, the outbox relay, health checks, metrics and a clean shutdown.

A service's ``app.py`` builds one ``ServiceRuntime``, registers its subscribers and routes,
and serves ``runtime.http_app``. Kafka or PostgreSQL being down never stops the process from
starting: it reports not-ready, answers 503 and connects once they are back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from shared.broker import create_broker
from shared.db import create_pool
from shared.events import DomainEvent, EventEnvelope
from shared.inbox import DATABASE_UNAVAILABLE, EventConsumers
from shared.outbox import OutboxMessage, OutboxRelay
from shared.settings import ServiceSettings
from shared.telemetry import continued_trace, setup_tracing

logger = logging.getLogger(__name__)

CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"


class ServiceRuntime:
    """Owns the process's connections; created once per process in ``app.py``."""

    def __init__(self, settings: ServiceSettings, *, title: str, description: str) -> None:
        self.settings = settings
        # Ids only in every message (see the loggers); uvicorn configures only its own loggers.
        logging.basicConfig(
            level=settings.log_level,
            format=f"%(asctime)s %(levelname)s {settings.service_name} %(name)s: %(message)s",
        )
        self.registry = CollectorRegistry()
        self.tracer_provider = setup_tracing(
            settings.service_name, settings.otel_exporter_otlp_endpoint
        )
        self.broker: KafkaBroker = create_broker(
            settings,
            client_id=settings.service_name,
            tracer_provider=self.tracer_provider,
            registry=self.registry,
        )
        self._pool: asyncpg.Pool | None = None
        self.consumers = EventConsumers(
            service=settings.service_name,
            broker=self.broker,
            pool=lambda: self.pool,
            registry=self.registry,
            max_attempts=settings.consumer_max_attempts,
            retry_backoff_s=settings.consumer_retry_backoff_s,
        )
        self.broker_started = asyncio.Event()
        self.http_app = FastAPI(
            title=title, description=description, version="1", lifespan=self._lifespan
        )
        self.http_app.state.runtime = self
        self._add_operational_routes()

    def publishes(self, *event_classes: type[DomainEvent]) -> None:
        """Declare the events this service publishes (through its outbox), for AsyncAPI."""
        for event_class in event_classes:
            self.broker.publisher(
                event_class.topic(),
                title=f"{event_class.topic()}:publish",
                description=f"{self.settings.service_name} publishes {event_class.__name__}",
                schema=EventEnvelope.of(event_class),
            )

    def asyncapi(self) -> AsyncAPI:
        """The AsyncAPI document of this service's events, generated from the code."""
        return AsyncAPI(
            self.broker,
            title=f"SEND platform: {self.settings.service_name}",
            version="1",
            description=self.http_app.description,
        )

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise ConnectionError("the database pool is not open yet")
        return self._pool

    async def _publish(self, message: OutboxMessage) -> None:
        if not self.broker_started.is_set():
            raise ConnectionError("not connected to Kafka yet")
        with continued_trace(message.headers):
            await self.broker.publish(
                message.envelope,
                topic=message.topic,
                key=message.key.encode(),
                headers={"content-type": CLOUDEVENTS_CONTENT_TYPE},
            )

    async def _start_broker(self, closing: asyncio.Event) -> None:
        # Retried until Kafka answers, so the process can start (and say not-ready) without it.
        # Never cancelled half-way: a start cut short leaves a producer nobody closes.
        delay = 0.5
        while not closing.is_set():
            try:
                await self.broker.start()
            except Exception as exc:
                logger.warning("Kafka not reachable yet (%s); retrying", type(exc).__name__)
                with contextlib.suppress(Exception):
                    await self.broker.stop()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(closing.wait(), delay)
                delay = min(delay * 2, 10)
            else:
                self.broker_started.set()
                logger.info("%s connected to Kafka", self.settings.service_name)
                return

    @contextlib.asynccontextmanager
    async def _lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        s = self.settings
        # Opening the pool needs no live server (min_size 0): connections come on first use.
        self._pool = await create_pool(s.database_url, max_size=s.db_pool_max_size)
        relay = OutboxRelay(
            database_url=s.database_url,
            pool=self._pool,
            publish=self._publish,
            registry=self.registry,
            poll_interval_s=s.outbox_poll_interval_s,
            batch_size=s.outbox_batch_size,
            retention=timedelta(hours=s.outbox_retention_hours),
        )
        closing = asyncio.Event()
        starting = asyncio.create_task(self._start_broker(closing), name="broker-start")
        relaying = asyncio.create_task(relay.run(), name="outbox-relay")
        try:
            yield
        finally:
            # SIGTERM: stop trying to connect (an attempt under way finishes, so what it
            # opened can be closed); stop taking events (in-flight handlers finish within
            # graceful_timeout); then stop relaying and close the pool.
            closing.set()
            try:
                await asyncio.wait_for(asyncio.shield(starting), timeout=15)
            except TimeoutError:
                starting.cancel()  # Kafka neither answered nor refused: nothing to close
            await self.broker.stop()
            relaying.cancel()
            await asyncio.gather(relaying, return_exceptions=True)
            await self._pool.close()
            self._pool = None

    async def readiness(self) -> dict[str, str]:
        """Each dependency's state: ``ok`` or what is wrong."""
        checks: dict[str, str] = {}
        try:
            async with asyncio.timeout(2):
                await self.pool.fetchval("SELECT 1")
            checks["postgres"] = "ok"
        except Exception as exc:
            checks["postgres"] = f"unavailable ({type(exc).__name__})"
        if not self.broker_started.is_set():
            checks["kafka"] = "connecting"
        elif await self.broker.ping(timeout=2):
            checks["kafka"] = "ok"
        else:
            checks["kafka"] = "unavailable"
        return checks

    def _add_operational_routes(self) -> None:
        app = self.http_app
        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=self.tracer_provider, excluded_urls="health/.*,metrics"
        )
        instrumentor = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]  # untyped __init__
        if not instrumentor.is_instrumented_by_opentelemetry:  # process-wide, once
            instrumentor.instrument(tracer_provider=self.tracer_provider)

        @app.get("/metrics", include_in_schema=False)
        async def metrics() -> Response:
            # A route rather than a mounted app: no redirect from /metrics to /metrics/.
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

        @app.get("/health/live", tags=["health"])
        async def live() -> dict[str, str]:
            return {"status": "live"}

        @app.get("/health/ready", tags=["health"])
        async def ready() -> JSONResponse:
            checks = await self.readiness()
            ok = all(v == "ok" for v in checks.values())
            return JSONResponse(
                {"status": "ready" if ok else "not ready", "checks": checks},
                status_code=200 if ok else 503,
            )

        async def unavailable(_: Request, exc: Exception) -> JSONResponse:
            return JSONResponse(
                {"detail": "The service cannot reach its database right now. Try again shortly."},
                status_code=503,
                headers={"Retry-After": "5"},
            )

        for error in DATABASE_UNAVAILABLE:  # ConnectionError is among them (an OSError)
            app.add_exception_handler(error, unavailable)
