"""The one way a service gets a Kafka broker (safe producer, commit-after-processing consumers,
telemetry and Prometheus middleware, the run's namespace), and its connection's life."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaClient, AIOKafkaConsumer, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry

from shared.access_lines import MessageTraceLines
from shared.logs import BROKER_LOGGER
from shared.publish_spans import KafkaTelemetry
from shared.settings import KafkaSettings

logger = logging.getLogger(__name__)


def create_broker(
    settings: KafkaSettings,
    *,
    client_id: str,
    tracer_provider: TracerProvider,
    registry: CollectorRegistry,
    middlewares: Sequence[Any] = (),
) -> KafkaBroker:
    """A broker whose producer waits for all in-sync replicas and never duplicates on retry.

    Subscribers default to ``NACK_ON_ERROR``: the offset is committed only after the handler
    returns, and a handler that raises leaves the offset where it was, so the event comes
    again. (FastStream's own default commits first: at-most-once, which we must not use.)

    ``middlewares`` run inside telemetry and metrics, so their work is in the message's span.
    """
    # FastStream's access lines are written outside the consume span: this logger gives them
    # the trace of the message they are about (shared.access_lines).
    lines = MessageTraceLines(logging.getLogger(BROKER_LOGGER))
    broker = KafkaBroker(
        settings.kafka_bootstrap_servers,
        security=settings.kafka_security(),
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        allow_auto_create_topics=False,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        graceful_timeout=20.0,
        # A logger of our own rather than FastStream's default, which writes to stdout with
        # colour codes and does not propagate: its lines go through the process's log
        # handler like every other (shared.logs).
        logger=lines,
        middlewares=[
            # FastStream's, with one span a published record (shared.publish_spans).
            KafkaTelemetry(tracer_provider=tracer_provider),
            KafkaPrometheusMiddleware(
                registry=registry, app_name=client_id, metrics_prefix="send_faststream"
            ),
            *middlewares,
        ],
    )
    lines.bind(broker.context)
    return broker


async def start_whole(start: Callable[[], Awaitable[object]]) -> None:
    """Await a Kafka client's ``start`` that a cancellation cannot cut short: when cancelled,
    the start under way finishes first (so the caller's ``close``/``stop`` closes all it
    opened), then the cancellation goes on. aiokafka's bootstrap, cancelled while it asks its
    first connection for metadata, never closes that connection (aiokafka 0.14,
    ``AIOKafkaClient.bootstrap``): the garbage collector reports it later, in whatever runs
    then, as an unclosed ``AIOKafkaConnection`` and ``StreamWriter``."""
    starting = asyncio.ensure_future(start())
    try:
        await asyncio.shield(starting)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await starting
        raise


async def end_offsets(
    consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition]
) -> dict[TopicPartition, int]:
    """``consumer.end_offsets(partitions)``, its client told of all their topics first, in one
    metadata request.

    aiokafka learns the topics it is asked about one at a time: each call that meets a topic
    its metadata lacks adds that one topic, waits its retry backoff (100 ms) and asks again
    (aiokafka 0.14, ``Fetcher._proc_offset_requests``). A namespace's ~150 topics took 15 s
    on the first call: the bench's first reading of every run, and the overload gate's first
    reading of the pipeline's lag after referrals starts. Telling the client of them all at
    once (``add_topic`` before its background metadata update runs) makes it one request."""
    client = consumer._client  # aiokafka has no public way to name the topics
    await asyncio.gather(*(client.add_topic(topic) for topic in {tp.topic for tp in partitions}))
    ends: dict[TopicPartition, int] = await consumer.end_offsets(list(partitions))
    return ends


class BrokerConnection:
    """Connects a broker in the background, retrying until Kafka answers, so a service starts
    (and says not-ready) without it; and disconnects it cleanly."""

    def __init__(
        self,
        broker: KafkaBroker,
        *,
        name: str,
        bootstrap_servers: str,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.broker = broker
        self.name = name
        # What the broker connects with (KafkaSettings.kafka_client_options): TLS, SASL.
        self._client_options = {**(client_options or {}), "bootstrap_servers": bootstrap_servers}
        self.connected = asyncio.Event()
        self._closing = asyncio.Event()
        self._starting: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._starting = asyncio.create_task(self._connect(), name=f"{self.name}-kafka-connect")

    async def _connect(self) -> None:
        # Never cancelled half-way: a start cut short leaves a producer nobody closes.
        delay = 0.5
        while not self._closing.is_set():
            try:
                # Asked first with a client we close ourselves: a broker start that fails
                # leaves its half-made producer unclosed (FastStream does not stop it).
                await self._reachable()
                await self.broker.start()
            except Exception as exc:
                logger.warning("Kafka not reachable yet (%s); retrying", type(exc).__name__)
                with contextlib.suppress(Exception):
                    await self.broker.stop()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), delay)
                delay = min(delay * 2, 10)
            else:
                self.connected.set()
                logger.info("%s connected to Kafka", self.name)
                return

    async def _reachable(self) -> None:
        client = AIOKafkaClient(**self._client_options)
        try:
            await client.bootstrap()
        finally:
            await client.close()

    async def stop(self) -> None:
        """Stop trying to connect (an attempt under way finishes, so what it opened can be
        closed), then stop consuming: in-flight handlers finish within the graceful timeout."""
        self._closing.set()
        if self._starting is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._starting), timeout=15)
            except TimeoutError:
                self._starting.cancel()  # Kafka neither answered nor refused: nothing to close
        await self.broker.stop()
        self.connected.clear()

    async def check(self) -> str:
        """``ok``, ``connecting`` or ``unavailable`` (for /health/ready)."""
        if not self.connected.is_set():
            return "connecting"
        return "ok" if await self.broker.ping(timeout=2) else "unavailable"
