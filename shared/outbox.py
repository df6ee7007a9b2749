"""Transactional outbox: events are written in the same transaction as the state change that
caused them, and a relay publishes them to Kafka afterwards, in order.

The relay is woken at once by LISTEN/NOTIFY (a trigger fires at commit) and also polls, so a
lost notification only delays an event by one poll interval. While commits keep coming it
publishes at most once a gathering window (``OUTBOX_GATHER_MS``), so several transactions'
rows share one read, one round of produce requests and one update. Only one relay per database
publishes at a time (a PostgreSQL advisory lock), which keeps per-referral order across
replicas. A relay killed after publishing but before marking rows sent publishes them again
on restart; consumers drop the duplicates through their inbox.

(Longer than most modules: the outbox's write side and its relay (wake-up, leader lock,
publishing, clean-up) are one mechanism.)
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
from opentelemetry.instrumentation.utils import suppress_instrumentation
from prometheus_client import CollectorRegistry, Counter, Gauge

from shared.db import Connection
from shared.events import DomainEvent, E, Envelope, wrap
from shared.pending_writes import write_outbox
from shared.telemetry import current_trace_headers
from shared.wakeup import Wakeup

logger = logging.getLogger(__name__)

_RELAY_LOCK_ID = 0x5E0D_0002


@dataclass(frozen=True)
class OutboxMessage:
    """One row on its way to Kafka."""

    id: int
    topic: str
    key: str
    envelope: bytes
    headers: dict[str, str]


Publisher = Callable[[OutboxMessage], Awaitable[Awaitable[object] | None]]
"""Hands a row to Kafka; returns the broker's acknowledgement still to come (or ``None`` once
it has come), so a batch of rows is in flight at once."""


class UndeclaredEvent(TypeError):
    """A service tried to publish an event it does not declare."""


class Outbox:
    """Where a service's state changes put the events they cause.

    Only the events the service declares may be added: the same declaration documents them
    (AsyncAPI) and gives the relay a publisher for each.
    """

    def __init__(self, *, source: str, declared: Iterable[type[DomainEvent]]) -> None:
        self.source = source
        self.declared: tuple[type[DomainEvent], ...] = tuple(declared)

    async def add(
        self,
        conn: Connection,
        events: Iterable[E],
        *,
        local_authority: str,
        trace: dict[str, str] | None = None,
    ) -> list[Envelope[E]]:
        """Record ``events`` for publishing, in order, in the transaction of the state change
        that caused them; returns their envelopes. ``trace``: the W3C context they continue
        (the current span's when left out)."""
        if not conn.is_in_transaction():
            raise RuntimeError("Outbox.add must run inside the transaction of the state change")
        envelopes, trace_json = self.envelopes(events, local_authority=local_authority, trace=trace)
        if envelopes:
            await write_outbox(conn, [(e, trace_json) for e in envelopes])
        return envelopes

    def envelopes(
        self, events: Iterable[E], *, local_authority: str, trace: dict[str, str] | None = None
    ) -> tuple[list[Envelope[E]], str]:
        """The events' envelopes, and the trace they continue as stored (JSON), for writing
        now (``add``) or with the rest of a batch (``shared.pending_writes``)."""
        envelopes: list[Envelope[E]] = []
        trace = current_trace_headers() if trace is None else trace
        for event in events:
            if type(event) not in self.declared:
                raise UndeclaredEvent(
                    f"{type(event).__name__} is not among the events {self.source} declares"
                )
            envelopes.append(
                wrap(event, source=self.source, local_authority=local_authority, trace=trace)
            )
        return envelopes, json.dumps(trace)


class OutboxRelay:
    """Publishes outbox rows in id order and marks them published."""

    def __init__(
        self,
        *,
        database_url: str,
        pool: asyncpg.Pool,
        publish: Publisher,
        registry: CollectorRegistry,
        poll_interval_s: float = 1.0,
        batch_size: int = 200,
        gather_s: float = 0.0,
        retention: timedelta = timedelta(days=7),
    ) -> None:
        self._database_url = database_url
        self._pool = pool
        self._publish = publish
        self._poll_interval_s = poll_interval_s
        self._batch_size = batch_size
        self._gather_s = gather_s
        self._last_publish = -math.inf  # when the relay last looked for rows to publish
        self._retention = retention
        self._next_purge = 0.0
        self._wakeup = Wakeup("outbox", poll_interval_s=poll_interval_s)
        self._leader = Gauge(
            "send_outbox_relay_leader",
            "1 while this process is the one relaying its database's outbox",
            registry=registry,
        )
        self._published = Counter(
            "send_outbox_published_events",
            "Events the outbox relay has published to Kafka",
            registry=registry,
        )
        self._failures = Counter(
            "send_outbox_publish_failures",
            "Failed attempts to publish an outbox batch",
            registry=registry,
        )

    async def run(self) -> None:
        """Run until cancelled, surviving PostgreSQL and Kafka outages.

        The relay's own queries are not traced (they would make a root span every poll);
        each publish continues the trace of the request or event that wrote the row.
        """
        with suppress_instrumentation():
            await self._run()

    async def _run(self) -> None:
        while True:
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any outage: log, wait, start over
                self._leader.set(0)
                self._failures.inc()
                logger.warning("outbox relay paused: %s: %s", type(exc).__name__, exc)
                await asyncio.sleep(self._poll_interval_s)

    async def _lead(self) -> None:
        # A dedicated connection: it holds the leadership lock and receives the NOTIFYs.
        conn: Connection = await asyncpg.connect(self._database_url, timeout=10)
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", _RELAY_LOCK_ID):
                self._leader.set(0)
                await asyncio.sleep(self._poll_interval_s)  # another replica is relaying
            self._leader.set(1)
            await self._wakeup.listen(conn)
            while True:
                self._wakeup.clear()
                self._last_publish = asyncio.get_running_loop().time()
                while await self.publish_pending() == self._batch_size:
                    pass  # a full batch: more may be waiting
                if conn.is_closed():
                    raise ConnectionError("relay connection to PostgreSQL closed")
                await self._wakeup.wait()
                await self._gather()
                if asyncio.get_running_loop().time() >= self._next_purge:
                    await self.purge_published()
                    self._next_purge = asyncio.get_running_loop().time() + 60
        finally:
            self._leader.set(0)
            if not conn.is_closed():
                await conn.close(timeout=5)

    async def _gather(self) -> None:
        """Woken sooner than the gathering window after the last publish: wait for the rest
        of the window, so that the commits coming meanwhile are published together. Woken
        after a quiet spell: at once (a lone referral's events are never delayed)."""
        left = self._last_publish + self._gather_s - asyncio.get_running_loop().time()
        if left > 0:
            await asyncio.sleep(left)

    async def purge_published(self) -> int:
        """Delete rows published longer ago than the retention period; returns how many.

        Published rows are only kept for investigation: some carry personal data (the family
        contact event), which must not outlive its purpose here.
        """
        result = await self._pool.execute(
            """DELETE FROM outbox WHERE id IN (
                   SELECT id FROM outbox WHERE published_at < now() - $1::interval LIMIT 5000)""",
            self._retention,
        )
        return int(result.split()[-1])

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished rows; returns how many were published.

        The whole batch is handed to the producer before any acknowledgement is awaited (one
        round of batched requests instead of a round trip per row). Order per referral holds:
        rows go out in id order, and the idempotent producer keeps each partition's order and
        fails everything after a failed request of that partition. Rows acknowledged are
        marked published; the first failure is raised after that, so the rest are tried again.
        """
        rows = await self._pool.fetch(
            """SELECT id, topic, key, envelope::text AS envelope, headers::text AS headers
               FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1""",
            self._batch_size,
        )
        in_flight: list[tuple[int, Awaitable[object] | None]] = []
        failure: BaseException | None = None
        for row in rows:
            message = OutboxMessage(
                id=row["id"],
                topic=row["topic"],
                key=row["key"],
                envelope=row["envelope"].encode(),
                headers=json.loads(row["headers"]),
            )
            try:
                in_flight.append((row["id"], await self._publish(message)))
            except Exception as exc:
                failure = exc
                break  # not even handed over: the rest wait for the next round
        acks = await asyncio.gather(
            *(_acknowledged(ack) for _, ack in in_flight), return_exceptions=True
        )
        sent = [row_id for (row_id, _), ack in zip(in_flight, acks, strict=True) if ack is None]
        failure = failure or next((a for a in acks if isinstance(a, BaseException)), None)
        if sent:
            await self._pool.execute(
                "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", sent
            )
            self._published.inc(len(sent))
        if failure is not None:
            raise failure
        return len(sent)


async def _acknowledged(ack: Awaitable[object] | None) -> None:
    if ack is not None:
        await ack
