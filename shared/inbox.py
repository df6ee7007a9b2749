"""Idempotent consumers: the inbox row, the effect and the events it causes share one
transaction; the offset is committed only after that transaction commits.

A failing event is tried ``max_attempts`` times with exponential backoff, then sent to
``<topic>.dlq`` with headers saying why, and the partition moves on. A message that is not a
valid event goes to the dead-letter topic at once. When PostgreSQL itself is unreachable the
event is not the culprit: it is left uncommitted and comes again once the database is back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import CollectorRegistry, Counter
from pydantic import ValidationError

from shared.db import Connection
from shared.events import DomainEvent, EventEnvelope
from shared.telemetry import tag_current_span
from shared.topics import dead_letter_topic

logger = logging.getLogger(__name__)

E = TypeVar("E", bound=DomainEvent)
EventHandler = Callable[[Connection, E, EventEnvelope], Awaitable[None]]

# Errors that mean "the database is not there", not "this event is bad".
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)


class InvalidEvent(ValueError):
    """The message is not a valid event of the expected type: retrying will not help."""


class EventConsumers:
    """Registers subscribers whose handlers run exactly once per event."""

    def __init__(
        self,
        *,
        service: str,
        broker: KafkaBroker,
        pool: Callable[[], asyncpg.Pool],
        registry: CollectorRegistry,
        max_attempts: int = 4,
        retry_backoff_s: float = 0.2,
    ) -> None:
        self._service = service
        self._broker = broker
        self._pool = pool  # a getter: the pool is opened in the lifespan, after registration
        self._max_attempts = max_attempts
        self._retry_backoff_s = retry_backoff_s
        self._processed = Counter(
            "events_processed", "Events handled", ["topic", "outcome"], registry=registry
        )

    def consumer_name(self, event_class: type[DomainEvent]) -> str:
        """Consumer group and inbox name: one per service and topic."""
        return f"{self._service}.{event_class.topic()}"

    def subscribe(self, event_class: type[E], handler: EventHandler[E]) -> None:
        """Run ``handler(conn, event, envelope)`` for each event of ``event_class``."""
        topic = event_class.topic()
        consumer = self.consumer_name(event_class)

        async def consume(body: Any) -> None:
            # ``body`` is only there for the AsyncAPI document (its annotation, set below);
            # the raw message is parsed here, so invalid ones can be dead-lettered.
            message: KafkaMessage = self._broker.context.get_local("message")
            await self.process(event_class, handler, consumer, message)

        consume.__annotations__["body"] = EventEnvelope.of(event_class)
        self._broker.subscriber(
            topic,
            group_id=consumer,
            auto_offset_reset="earliest",  # a new group must not miss earlier events
            title=f"{consumer}:consume",
            description=f"{self._service} handles {event_class.__name__}",
        )(consume)

    async def process(
        self,
        event_class: type[E],
        handler: EventHandler[E],
        consumer: str,
        message: KafkaMessage,
    ) -> None:
        record: Any = message.raw_message
        try:
            envelope, event = parse(message.body, event_class)
        except InvalidEvent as exc:
            await self._dead_letter(message, record, exc, attempts=1)
            self._processed.labels(record.topic, "invalid").inc()
            return

        tag_current_span(
            referral_id=envelope.subject, event_id=str(envelope.id), event_type=envelope.type
        )
        for attempt in range(1, self._max_attempts + 1):
            try:
                outcome = await self._handle_once(consumer, handler, envelope, event, record.topic)
                self._processed.labels(record.topic, outcome).inc()
                return
            except DATABASE_UNAVAILABLE as exc:
                # Not the event's fault: back off and let the message come again.
                logger.warning("database unavailable for %s: %s", consumer, type(exc).__name__)
                await asyncio.sleep(self._retry_backoff_s * 10)
                raise
            except Exception as exc:
                logger.warning(
                    "event %s (referral %s) failed in %s, attempt %d of %d: %s",
                    envelope.id,
                    envelope.subject,
                    consumer,
                    attempt,
                    self._max_attempts,
                    type(exc).__name__,
                )
                if attempt == self._max_attempts:
                    await self._dead_letter(message, record, exc, attempts=attempt)
                    self._processed.labels(record.topic, "dead_lettered").inc()
                    return
                await asyncio.sleep(self._retry_backoff_s * 2 ** (attempt - 1))

    async def _handle_once(
        self,
        consumer: str,
        handler: EventHandler[E],
        envelope: EventEnvelope,
        event: E,
        topic: str,
    ) -> str:
        async with self._pool().acquire() as conn, conn.transaction():
            first_time = await conn.fetchval(
                """INSERT INTO inbox (consumer, event_id, topic) VALUES ($1, $2, $3)
                   ON CONFLICT DO NOTHING RETURNING true""",
                consumer,
                envelope.id,
                topic,
            )
            if not first_time:
                return "duplicate"
            await handler(conn, event, envelope)
        return "processed"

    async def _dead_letter(
        self, message: KafkaMessage, record: Any, exc: BaseException, *, attempts: int
    ) -> None:
        headers = {k: v for k, v in message.headers.items() if isinstance(v, str)}
        headers.update(
            {
                "dlq-reason": reason(exc)[:1000],
                "dlq-exception": type(exc).__name__,
                "dlq-attempts": str(attempts),
                "dlq-consumer": self._service,
                "dlq-original-topic": record.topic,
                "dlq-original-partition": str(record.partition),
                "dlq-original-offset": str(record.offset),
            }
        )
        logger.error(
            "dead-lettered %s[%s]@%s: %s",
            record.topic,
            record.partition,
            record.offset,
            type(exc).__name__,
        )
        await self._broker.publish(
            message.body,
            topic=dead_letter_topic(record.topic),
            key=record.key,
            headers=headers,
        )


def parse(body: bytes, event_class: type[E]) -> tuple[EventEnvelope, E]:
    """Read an envelope and its event, or raise ``InvalidEvent`` saying which field and why."""
    try:
        envelope = EventEnvelope.model_validate_json(body)
        event = envelope.unwrap(event_class)
    except ValidationError as exc:
        raise InvalidEvent(f"not a valid {event_class.__name__}: {reason(exc)}") from exc
    except ValueError as exc:
        raise InvalidEvent(str(exc)) from exc
    if envelope.subject != str(event.referral_id):
        raise InvalidEvent("subject: must equal data.referral_id")
    return envelope, event


def reason(exc: BaseException) -> str:
    """Why ``exc`` happened, fit for a dead-letter header: for a validation error, each field
    and what is wrong with it, never the value (it may be personal data)."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
            for err in exc.errors()
        )
    return str(exc)
