"""What a service's ``/metrics`` shows besides the counters its parts register: the process and
the Python runtime, the outbox backlog, and the loop that measures what cannot be counted.

Every metric of ours is named ``send_...``. The standard collectors: the process's
(``send_process_cpu_seconds_total``, ``send_process_resident_memory_bytes``,
``send_process_open_fds``, ...); the Python runtime's, whose collectors take no prefix
(``python_info``, ``python_gc_objects_collected_total``, ``python_gc_collections_total``,
``python_gc_objects_uncollectable_total``). Metrics hold ids and counts only, never personal
data.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass

import asyncpg
from opentelemetry.instrumentation.utils import suppress_instrumentation
from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

Measurement = Callable[[], Awaitable[None]]


def service_registry() -> CollectorRegistry:
    """A service's own registry (one per app, so several services in one test process do not
    share counters), with the process and Python runtime collectors on it."""
    registry = CollectorRegistry()
    ProcessCollector(namespace="send", registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


def zero_series(counter: Counter, *label_values: Iterable[str]) -> None:
    """Make ``counter``'s series exist at 0 for every combination of ``label_values`` (one
    iterable per label, in the counter's order).

    A counter's series otherwise first appears with its first event, at 1, and an alert on
    ``increase()`` never sees that first event (there is no earlier sample to rise from):
    the first statutory deadline a council misses would not alert."""
    for labels in itertools.product(*label_values):
        counter.labels(*labels)


@dataclass(frozen=True)
class _Backlog:
    rows: int
    oldest_age_s: float


class OutboxBacklog(Collector):
    """``send_outbox_backlog`` (rows not yet published) and
    ``send_outbox_oldest_unpublished_age_seconds`` (how long the row the relay publishes next
    has waited; 0 when there is none), measured in the service's database.

    Every replica reports them, leader or not: they describe the database, which all replicas
    share, so they agree, and they are there when no relay leads (a wedged relay shows as a
    growing age, not as a missing series). Aggregate with ``max``. While the database cannot
    be asked the two series are absent rather than a stale or invented number.
    """

    def __init__(self, pool: Callable[[], asyncpg.Pool], *, registry: CollectorRegistry) -> None:
        self._pool = pool  # a getter: the pool opens in the lifespan
        self._last: _Backlog | None = None
        registry.register(self)

    async def measure(self) -> None:
        """Count the unpublished rows and age the oldest, through the partial index of
        unpublished rows (``outbox_unpublished``): cheap however many rows were published."""
        try:
            async with asyncio.timeout(5):
                row = await self._pool().fetchrow(
                    """SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL) AS rows,
                              coalesce(extract(epoch FROM now() - (
                                  SELECT created_at FROM outbox WHERE published_at IS NULL
                                  ORDER BY id LIMIT 1)), 0)::float8 AS oldest_age_s"""
                )
        except Exception as exc:  # an outage: unknown until the next measurement
            logger.debug("outbox backlog not measured: %s", type(exc).__name__)
            self._last = None
            return
        assert row is not None  # a SELECT without FROM returns one row
        self._last = _Backlog(rows=int(row["rows"]), oldest_age_s=float(row["oldest_age_s"]))

    def _families(self) -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily(
                "send_outbox_backlog", "Outbox rows written but not yet published to Kafka"
            ),
            GaugeMetricFamily(
                "send_outbox_oldest_unpublished_age_seconds",
                "How long the next outbox row to publish has waited (0 when none waits)",
            ),
        )

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(self._families())

    def collect(self) -> Iterator[GaugeMetricFamily]:
        last = self._last
        if last is None:
            return
        backlog, age = self._families()
        backlog.add_metric([], last.rows)
        age.add_metric([], last.oldest_age_s)
        yield backlog
        yield age


LAG_EVERY_S = 0.25
"""How often the event loop's lag is taken: about 0.1% of a core (every 50 ms it was 0.5%,
measured on the 2-core machine; a wake-up costs a quarter of a millisecond there)."""
LAG_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class EventLoopLag:
    """``send_event_loop_lag_seconds``: how late the process's event loop woke a task asleep
    for ``LAG_EVERY_S``, observed at every wake-up. Everything a process serves (requests,
    events, the relay, the sender) waits that long for its turn whenever the loop is busy with
    something else or the process is short of CPU: a p99 of tens of milliseconds is a request
    answered that much later, whatever its own work."""

    def __init__(self, *, registry: CollectorRegistry) -> None:
        self.histogram = Histogram(
            "send_event_loop_lag_seconds",
            "How late the event loop woke a task asleep for 250 ms",
            buckets=LAG_BUCKETS,
            registry=registry,
        )

    async def run(self) -> None:
        """Measure until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            asleep = loop.time()
            await asyncio.sleep(LAG_EVERY_S)
            self.histogram.observe(max(loop.time() - asleep - LAG_EVERY_S, 0.0))


async def measure_periodically(interval_s: float, *measurements: Measurement) -> None:
    """Run the measurements now and then every ``interval_s`` until cancelled: off the path
    of events and scrapes (a scrape cannot wait for the database or Kafka). They run side by
    side, so one waiting on an unreachable server does not hold up the others.

    Untraced: a measurement's queries would otherwise make a root span every few seconds.
    """
    with suppress_instrumentation():
        while True:
            results = await asyncio.gather(*(m() for m in measurements), return_exceptions=True)
            for measure, result in zip(measurements, results, strict=True):
                if isinstance(result, Exception):  # a bug: the others and the loop go on
                    logger.error(
                        "measurement %s failed",
                        getattr(measure, "__qualname__", "?"),
                        exc_info=result,
                    )
            await asyncio.sleep(interval_s)
