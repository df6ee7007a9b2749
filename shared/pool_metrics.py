"""How busy each of a process's database pools is, for ``/metrics`` (issue #25).

A service has two pools (``shared.lifecycle``): the HTTP routes' and the pipeline's. When one
is used up, what waits for it is slow for no other reason (at 300 referrals a second the
consumers timed out waiting for a connection the intake held), and nothing else shows it:
``send_db_pool_connections{pool,state}`` (``in_use``, ``idle``) against
``send_db_pool_max_connections{pool}`` does. Read from the pools themselves at each scrape: no
query, no I/O. A pool that is not open (before the lifespan, after it) has no series.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from shared.db import Database
from shared.failures import DatabaseNotOpen


class DatabasePools(Collector):
    """The connections of each named pool, in use and idle, and its most."""

    def __init__(self, pools: Mapping[str, Database], *, registry: CollectorRegistry) -> None:
        self._pools = dict(pools)
        registry.register(self)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        connections = GaugeMetricFamily(
            "send_db_pool_connections",
            "Connections of the process's database pool, by pool (http: the routes'; "
            "pipeline: consumers, outbox relay, scheduled jobs) and state (in_use, idle)",
            labels=["pool", "state"],
        )
        most = GaugeMetricFamily(
            "send_db_pool_max_connections",
            "The most connections the pool opens (DB_POOL_MAX_SIZE, CONSUMER_DB_POOL_MAX_SIZE)",
            labels=["pool"],
        )
        for name, database in self._pools.items():
            try:
                pool = database.pool()
            except DatabaseNotOpen:
                continue
            idle = pool.get_idle_size()
            connections.add_metric([name, "in_use"], pool.get_size() - idle)
            connections.add_metric([name, "idle"], idle)
            most.add_metric([name], pool.get_max_size())
        yield connections
        yield most
