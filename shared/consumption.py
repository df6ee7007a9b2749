"""Event consumption: each event handled once, its effects and the events it causes committed
together, failures met by their kind, and the offset committed only after all that.

A service declares its handlers (``shared.subscriptions``); around every one of them the
``EventConsumption`` middleware:

1. reads the message (the subscriber's decoder); a message that is not an event of the
   subscribed type goes to ``<topic>.dlq`` at once, saying which field and why;
2. opens a transaction, records ``(consumer, event id)`` in the inbox (a repeat is dropped),
   runs the handler, writes the events it returns to the outbox, and commits;
3. on failure, by kind (``shared.failures``): an outage leaves the offset so the event comes
   again; a transient error is retried with backoff; anything else is dead-lettered at once,
   with headers saying why, and the partition moves on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from faststream import AckPolicy, BaseMiddleware
from faststream.kafka import KafkaRouter
from faststream.kafka.publisher.usecase import DefaultPublisher
from faststream.message import StreamMessage
from prometheus_client import CollectorRegistry, Counter

from shared.councils import act_for
from shared.events import DomainEvent, Envelope, RawEnvelope
from shared.failures import Failure, InvalidEvent, classify, reason
from shared.outbox import Outbox
from shared.subscriptions import Subscription, decoder_of
from shared.telemetry import tag_current_span
from shared.topics import dead_letter_topic

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Route:
    event_class: type[DomainEvent]
    consumer: str  # inbox name: one per service and topic
    dead_letters: DefaultPublisher


class EventConsumption:
    """The broker middleware (a factory FastStream calls once per message) that runs every
    subscribed handler exactly once per event; see the module docstring."""

    def __init__(
        self,
        *,
        service: str,
        namespace: str,
        outbox: Outbox,
        pool: Callable[[], asyncpg.Pool],
        registry: CollectorRegistry,
        max_attempts: int = 4,
        retry_backoff_s: float = 0.2,
        outage_backoff_s: float = 2.0,
    ) -> None:
        self.service = service
        self.namespace = namespace
        self.outbox = outbox
        self.pool = pool  # a getter: the pool opens in the lifespan, after subscribing
        self.max_attempts = max_attempts
        self.retry_backoff_s = retry_backoff_s
        self.outage_backoff_s = outage_backoff_s
        self._routes: dict[str, _Route] = {}
        self.consumed = Counter(
            "send_events_consumed",
            "Events taken from Kafka, by outcome: processed, duplicate, dead_lettered, invalid",
            ["topic", "outcome"],
            registry=registry,
        )
        # The same events as the dead_lettered and invalid outcomes above, under the name an
        # operator alerts on, and by exception class (a class name, never the message).
        self.dead_lettered = Counter(
            "send_dead_lettered",
            "Events sent to their topic's dead-letter topic (<topic>.dlq), by original topic "
            "and exception class",
            ["topic", "exception"],
            registry=registry,
        )

    def subscribe(self, router: KafkaRouter, subscription: Subscription) -> None:
        """Subscribe ``subscription`` on ``router``, with its dead-letter publisher."""
        event_class = subscription.event_class
        topic = event_class.topic()
        consumer = f"{self.service}.{topic}"
        dead_letters = router.publisher(
            dead_letter_topic(topic),
            title=f"{dead_letter_topic(topic)}:{self.service}",
            description=f"{event_class.__name__} messages {self.service} could not process, "
            "with headers saying why (dlq-reason, dlq-exception, dlq-attempts, ...)",
            schema=RawEnvelope,
        )
        router.subscriber(
            topic,
            group_id=f"{self.namespace}{consumer}",
            auto_offset_reset="earliest",  # a new group must not miss earlier events
            # Commit only after the handler's transaction committed. Said here, not only on
            # the broker: a router's subscribers do not inherit the broker's policy, and
            # FastStream's default (ACK_FIRST) is at-most-once.
            ack_policy=AckPolicy.NACK_ON_ERROR,
            decoder=decoder_of(event_class),
            title=f"{topic}:{self.service}",
            description=f"{self.service} handles {event_class.__name__}",
        )(subscription.handler)
        self._routes[f"{self.namespace}{topic}"] = _Route(event_class, consumer, dead_letters)

    def __call__(self, msg: Any, /, *, context: Any) -> _ConsumeOne:
        return _ConsumeOne(msg, context=context, consumption=self)


class _ConsumeOne(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, consumption: EventConsumption) -> None:
        super().__init__(msg, context=context)
        self.c = consumption

    async def consume_scope(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        record = msg.raw_message
        route = self.c._routes.get(record.topic)
        if route is None:  # not an event subscription of this service (a tool's, a test's)
            return await call_next(msg)
        try:
            envelope = cast("Envelope[DomainEvent]", await msg.decode())  # see _decoder
        except InvalidEvent as exc:
            await self._dead_letter(route, msg, exc, attempts=1, outcome="invalid")
            return None
        tag_current_span(
            referral_id=envelope.subject, event_id=str(envelope.id), event_type=envelope.type
        )
        for attempt in range(1, self.c.max_attempts + 1):
            try:
                outcome = await self._handle_once(route, envelope, call_next, msg)
            except Exception as exc:
                kind = classify(exc)
                logger.warning(
                    "event %s (referral %s) failed in %s, attempt %d: %s (%s)",
                    envelope.id,
                    envelope.subject,
                    route.consumer,
                    attempt,
                    type(exc).__name__,
                    kind.value,
                )
                if kind is Failure.OUTAGE:
                    # Not the event's fault: back off, then leave the offset so it comes again.
                    await asyncio.sleep(self.c.outage_backoff_s)
                    raise
                if kind is Failure.TRANSIENT and attempt < self.c.max_attempts:
                    await asyncio.sleep(self.c.retry_backoff_s * 2 ** (attempt - 1))
                    continue
                await self._dead_letter(route, msg, exc, attempts=attempt)
                return None
            self.c.consumed.labels(record.topic, outcome).inc()
            return None
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _handle_once(
        self,
        route: _Route,
        envelope: Envelope[DomainEvent],
        call_next: Callable[[StreamMessage[Any]], Awaitable[Any]],
        msg: StreamMessage[Any],
    ) -> str:
        async with self.c.pool().acquire() as conn, conn.transaction():
            await act_for(conn, [envelope.localauthority])  # row-level security: its council
            first_time = await conn.fetchval(
                """INSERT INTO inbox (consumer, event_id, topic) VALUES ($1, $2, $3)
                   ON CONFLICT DO NOTHING RETURNING true""",
                route.consumer,
                envelope.id,
                route.event_class.topic(),
            )
            if not first_time:
                return "duplicate"
            with self.context.scope("conn", conn):
                caused = await call_next(msg)
            await self.c.outbox.add(conn, caused or (), local_authority=envelope.localauthority)
        return "processed"

    async def _dead_letter(
        self,
        route: _Route,
        msg: StreamMessage[Any],
        exc: BaseException,
        *,
        attempts: int,
        outcome: str = "dead_lettered",
    ) -> None:
        record = msg.raw_message
        headers = {k: v for k, v in msg.headers.items() if isinstance(v, str)}
        headers.update(
            {
                "dlq-reason": reason(exc)[:1000],
                "dlq-exception": type(exc).__name__,
                "dlq-attempts": str(attempts),
                "dlq-consumer": self.c.service,
                "dlq-original-topic": record.topic,
                "dlq-original-partition": str(record.partition),
                "dlq-original-offset": str(record.offset),
            }
        )
        logger.error(
            "dead-lettered %s[%s]@%s from %s: %s",
            record.topic,
            record.partition,
            record.offset,
            route.consumer,
            type(exc).__name__,
        )
        await route.dead_letters.publish(msg.body, key=record.key, headers=headers)
        self.c.consumed.labels(record.topic, outcome).inc()
        self.c.dead_lettered.labels(record.topic, type(exc).__name__).inc()
