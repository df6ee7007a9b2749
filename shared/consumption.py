"""Event consumption: each event handled once, its effects and the events it causes committed
together, failures met by their kind, and offsets committed only after all that.

A service declares its handlers (``shared.subscriptions``). Each is subscribed as a FastStream
batch subscriber: up to ``CONSUMER_BATCH_SIZE`` events that are waiting arrive together, and
while events keep coming a batch gathers for a short window (``CONSUMER_GATHER_MS``,
``gathering``: at most one batch a window, the first after a quiet spell taken at once), and
the ``EventConsumption`` middleware around them:

1. reads each record (the subscriber's decoder); one that is not an event of the subscribed
   type goes to ``<topic>.dlq`` at once, saying which field and why;
2. opens one transaction, records every event's ``(consumer, event id)`` in the inbox in one
   statement (repeats are dropped), runs the handler for each new event in order
   (``shared.batches``: its council, its trace, its caused events into the outbox), commits;
3. if that fails, takes the batch again one event at a time, so that only the event at fault
   is treated by its failure's kind (``shared.failures``): an outage leaves the offsets so the
   batch comes again; a transient error is retried with backoff; anything else is
   dead-lettered at once, with headers saying why, and the partition moves on.

One transaction and one offset commit per batch, instead of per event, is most of what makes
a drain fast; a batch of one behaves exactly as the event would alone. The gathering window
brings the same savings to a steady flow, which would otherwise come one or two events a
batch.

Metrics: ``send_events_consumed_total{topic,outcome}``, ``send_dead_lettered_total{topic,
exception}``, and ``send_event_age_seconds{topic}``, the time from an event's CloudEvents
``time`` (when its cause was recorded) to a handler taking it, observed once per event a
handler committed: the journey's step latency, outbox and Kafka included, which FastStream's
own duration (per batch, for these batch subscribers) is not.

(Longer than most modules: the middleware's batch, one-event-at-a-time and dead-letter paths
share their state and are one mechanism.)
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any, cast
from uuid import UUID

from faststream import AckPolicy, BaseMiddleware
from faststream.kafka import KafkaRouter
from faststream.kafka.publisher.usecase import DefaultPublisher
from faststream.message import StreamMessage
from prometheus_client import CollectorRegistry, Counter, Histogram

from shared.batches import batch_consumer
from shared.events import DomainEvent, Envelope, RawEnvelope
from shared.failures import Failure, InvalidEvent, classify, reason
from shared.referral_locks import referrals_locked
from shared.subscriptions import Subscription, batch_decoder_of
from shared.topics import dead_letter_topic
from shared.unit_of_work import Work

logger = logging.getLogger(__name__)

# From a hop within one poll to a backlog drained after a day's outage.
EVENT_AGE_BUCKETS = (
    0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 86400,
)  # fmt: skip
IDLE_WAIT_S = 1.0
"""How long an idle subscriber waits in one ``getmany`` (``gathering``): it returns the moment a
record is fetched, so this bounds only how often an idle subscriber wakes, not any delay."""


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
        work: Work,
        registry: CollectorRegistry,
        max_attempts: int = 4,
        retry_backoff_s: float = 0.2,
        outage_backoff_s: float = 2.0,
        batch_size: int = 200,
        gather_s: float = 0.0,
        idle_wait_s: float = IDLE_WAIT_S,
    ) -> None:
        self.service = service
        self.namespace = namespace
        self.work = work  # the service's units of work: its handlers' (and its own state)
        self.pool = work.pool  # a getter: the pool opens in the lifespan, after subscribing
        self.max_attempts = max_attempts
        self.retry_backoff_s = retry_backoff_s
        self.outage_backoff_s = outage_backoff_s
        self.batch_size = batch_size
        self.gather_s = gather_s
        self.idle_wait_s = idle_wait_s
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
        self.event_age = Histogram(
            "send_event_age_seconds",
            "Time from an event's CloudEvents time to a handler of this service taking it, "
            "by topic (once per event handled)",
            ["topic"],
            buckets=EVENT_AGE_BUCKETS,
            registry=registry,
        )

    def count_dead_letter(self, topic: str, exception: str, outcome: str = "dead_lettered") -> None:
        """Count one message sent to ``topic``'s dead-letter topic (also by a consumer of the
        service's own, the NHS partners')."""
        self.consumed.labels(topic, outcome).inc()
        self.dead_lettered.labels(topic, exception).inc()

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
        subscriber = router.subscriber(
            topic,
            group_id=f"{self.namespace}{consumer}",
            auto_offset_reset="earliest",  # a new group must not miss earlier events
            # Commit only after the handler's transaction committed. Said here, not only on
            # the broker: a router's subscribers do not inherit the broker's policy, and
            # FastStream's default (ACK_FIRST) is at-most-once.
            ack_policy=AckPolicy.NACK_ON_ERROR,
            batch=True,
            max_records=self.batch_size,
            batch_timeout_ms=round(self.idle_wait_s * 1000),  # unused: `gathering` fetches
            decoder=batch_decoder_of(event_class),
            title=f"{topic}:{self.service}",
            description=f"{self.service} handles {event_class.__name__}",
        )
        subscriber(batch_consumer(subscription, self.work, self.service))
        gathering(
            subscriber,
            window_s=self.gather_s,
            max_records=self.batch_size,
            idle_wait_s=self.idle_wait_s,
        )
        self._routes[f"{self.namespace}{topic}"] = _Route(event_class, consumer, dead_letters)

    def __call__(self, msg: Any, /, *, context: Any) -> _ConsumeOne:
        return _ConsumeOne(msg, context=context, consumption=self)


def gathering(subscriber: Any, *, window_s: float, max_records: int, idle_wait_s: float) -> None:
    """Make a FastStream batch ``subscriber`` take at most one batch a window while events
    keep coming: a batch taken sooner than ``window_s`` after the one before waits for more
    events until then, or until it holds ``max_records``. The first batch after a quiet spell
    (none taken for a window) is taken at once, so a lone event is never delayed; under load
    each event waits at most ``window_s`` more, and a batch's fixed cost (transaction, inbox
    statement, commit, offset commit, produce request) is shared by the events of a window
    instead of paid for each one or two. ``window_s`` 0: as Kafka gives them.

    Neither FastStream nor aiokafka waits for more once one record is there (``getmany``
    returns at once). Kafka's own wait (``fetch_min_bytes`` with ``fetch_max_wait_ms``) would
    gather at the broker, but its wait is also an idle consumer's poll interval: every
    consumer of every service would fetch once a window with nothing happening.

    An idle subscriber waits in ``getmany`` for up to ``idle_wait_s`` (woken the moment a
    record is fetched) and then at once again. FastStream's own loop, after a ``getmany`` that
    found nothing, *sleeps* its batch timeout before the next: an event that arrived then
    waited up to that long for nobody (a lone referral's alert crosses three consumers), and
    every idle subscriber woke five times a second to find nothing (docs/benchmark.md)."""
    last = -math.inf  # when the batch before was taken
    idle_wait_ms = round(idle_wait_s * 1000)

    async def get_msg(consumer: Any) -> tuple[Any, ...]:
        nonlocal last
        fetched = await consumer.getmany(timeout_ms=idle_wait_ms, max_records=max_records)
        records: tuple[Any, ...] = tuple(chain(*fetched.values()))
        if not records or window_s <= 0:
            return records  # () : FastStream's loop calls again at once
        loop = asyncio.get_running_loop()
        until = last + window_s
        while len(records) < max_records and (left := until - loop.time()) > 0:
            more = await consumer.getmany(
                timeout_ms=left * 1000, max_records=max_records - len(records)
            )
            records += tuple(chain(*more.values()))  # each partition's records stay in order
        last = loop.time()
        return records

    subscriber.get_msg = get_msg  # the loop FastStream runs calls this once per batch


class _ConsumeOne(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, consumption: EventConsumption) -> None:
        super().__init__(msg, context=context)
        self.c = consumption

    async def consume_scope(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        raw = msg.raw_message
        records: Sequence[Any] = raw if isinstance(raw, tuple | list) else (raw,)
        route = self.c._routes.get(records[0].topic) if records else None
        if route is None:  # not an event subscription of this service (a tool's, a test's)
            return await call_next(msg)
        decoded = cast("list[Envelope[DomainEvent] | InvalidEvent]", await msg.decode())
        batch: list[tuple[Any, Envelope[DomainEvent]]] = []
        for record, item in zip(records, decoded, strict=True):
            if isinstance(item, InvalidEvent):
                await self._dead_letter(route, record, item, attempts=1, outcome="invalid")
            else:
                batch.append((record, item))
        if len(batch) == 1:
            await self._handle_alone(route, *batch[0], call_next, msg)
            return None
        if not batch:
            return None
        try:
            await self._handle_together(route, batch, call_next, msg)
        except Exception as exc:
            if classify(exc) is Failure.OUTAGE:
                await self._outage(route, exc)
            # Someone in the batch is at fault: find out who, one event at a time.
            for record, envelope in batch:
                await self._handle_alone(route, record, envelope, call_next, msg)
        return None

    async def _handle_together(
        self,
        route: _Route,
        batch: list[tuple[Any, Envelope[DomainEvent]]],
        call_next: Callable[[StreamMessage[Any]], Awaitable[Any]],
        msg: StreamMessage[Any],
    ) -> None:
        topic = batch[0][0].topic
        taken = time.time()
        subjects = (e.subject for _, e in batch)
        async with (
            self.c.pool().acquire() as conn,
            conn.transaction(),
            # Before any other lock; the handlers' own locks on these are then no statement.
            referrals_locked(conn, subjects),
        ):
            ids = [e.id for _, e in batch]
            new = await first_deliveries(conn, route.consumer, route.event_class.topic(), ids)
            fresh = []
            for _, envelope in batch:
                if envelope.id in new:
                    new.discard(envelope.id)  # the same event twice in one batch: once
                    fresh.append(envelope)
            if fresh:
                msg.set_decoder(_returning(fresh))  # what this attempt hands the handler
                with self.context.scope("conn", conn):
                    await call_next(msg)
        self.c.consumed.labels(topic, "processed").inc(len(fresh))
        age = self.c.event_age.labels(topic)
        for envelope in fresh:  # committed: each event once, however many attempts it took
            # The event's trace as the bucket's exemplar: a dashboard point opens the trace.
            trace_id = (envelope.traceparent or "").split("-")[1:2]
            exemplar = {"trace_id": trace_id[0]} if trace_id else None
            age.observe(max(0.0, taken - envelope.time.timestamp()), exemplar)
        if len(batch) > len(fresh):
            self.c.consumed.labels(topic, "duplicate").inc(len(batch) - len(fresh))

    async def _handle_alone(
        self,
        route: _Route,
        record: Any,
        envelope: Envelope[DomainEvent],
        call_next: Callable[[StreamMessage[Any]], Awaitable[Any]],
        msg: StreamMessage[Any],
    ) -> None:
        failed = await attempted(
            lambda: self._handle_together(route, [(record, envelope)], call_next, msg),
            what=f"event {envelope.id} (referral {envelope.subject}) in {route.consumer}",
            max_attempts=self.c.max_attempts,
            retry_backoff_s=self.c.retry_backoff_s,
            outage_backoff_s=self.c.outage_backoff_s,
        )
        if failed is not None:
            exc, attempts = failed
            await self._dead_letter(route, record, exc, attempts=attempts)

    async def _outage(self, route: _Route, exc: Exception) -> None:
        # Not the events' fault: back off, then leave the offsets so the batch comes again.
        logger.warning("database unavailable for %s: %s", route.consumer, type(exc).__name__)
        await asyncio.sleep(self.c.outage_backoff_s)
        raise exc

    async def _dead_letter(
        self,
        route: _Route,
        record: Any,
        exc: BaseException,
        *,
        attempts: int,
        outcome: str = "dead_lettered",
    ) -> None:
        headers = dead_letter_headers(
            record,
            reason=reason(exc),
            exception=type(exc).__name__,
            attempts=attempts,
            consumer=self.c.service,
        )
        logger.error(
            "dead-lettered %s[%s]@%s from %s: %s",
            record.topic,
            record.partition,
            record.offset,
            route.consumer,
            type(exc).__name__,
        )
        await route.dead_letters.publish(record.value, key=record.key, headers=headers)
        self.c.count_dead_letter(record.topic, type(exc).__name__, outcome)


def dead_letter_headers(
    record: Any, *, reason: str, exception: str, attempts: int, consumer: str
) -> dict[str, str]:
    """The headers a dead letter carries: the original record's, and why it is here
    (``reason`` must name fields, never values: it may be read by anyone on the topic)."""
    headers = {k: v.decode(errors="replace") for k, v in record.headers}
    headers.update(
        {
            "dlq-reason": reason[:1000],
            "dlq-exception": exception,
            "dlq-attempts": str(attempts),
            "dlq-consumer": consumer,
            "dlq-original-topic": record.topic,
            "dlq-original-partition": str(record.partition),
            "dlq-original-offset": str(record.offset),
        }
    )
    return headers


async def attempted(
    work: Callable[[], Awaitable[object]],
    *,
    what: str,
    max_attempts: int,
    retry_backoff_s: float,
    outage_backoff_s: float,
) -> tuple[Exception, int] | None:
    """Run ``work``, meeting each failure by its kind (``shared.failures``): a transient one is
    retried with backoff, up to ``max_attempts`` in all; an outage backs off and is raised (the
    message is left unacknowledged: it comes again); anything else, or a transient failure on
    the last attempt, is returned with the number of attempts, for the caller to dead-letter.
    ``None``: the work succeeded."""
    for attempt in range(1, max_attempts + 1):
        try:
            await work()
            return None
        except Exception as exc:
            kind = classify(exc)
            logger.warning(
                "%s failed, attempt %d: %s (%s)", what, attempt, type(exc).__name__, kind.value
            )
            if kind is Failure.OUTAGE:
                # Not the message's fault: back off, then leave the offset so it comes again.
                logger.warning("database unavailable for %s: %s", what, type(exc).__name__)
                await asyncio.sleep(outage_backoff_s)
                raise
            if kind is Failure.TRANSIENT and attempt < max_attempts:
                await asyncio.sleep(retry_backoff_s * 2 ** (attempt - 1))
                continue
            return exc, attempt
    raise AssertionError("unreachable: the last attempt returns or raises")


async def first_deliveries(
    conn: Any, consumer: str, topic: str, event_ids: list[UUID]
) -> set[UUID]:
    """Record the events in ``consumer``'s inbox in one statement (in the transaction of their
    effect); returns those seen for the first time. Also for a consumer of the service's own
    (the NHS partners', whose messages' ids are their records' places)."""
    rows = await conn.fetch(
        """INSERT INTO inbox (consumer, event_id, topic)
           SELECT $1, id, $3 FROM unnest($2::uuid[]) AS id
           ON CONFLICT DO NOTHING RETURNING event_id""",
        consumer,
        event_ids,
        topic,
    )
    return {r["event_id"] for r in rows}


def _returning(envelopes: list[Envelope[DomainEvent]]) -> Callable[[Any], Awaitable[Any]]:
    async def decode(_: Any) -> list[Envelope[DomainEvent]]:
        return envelopes

    return decode
