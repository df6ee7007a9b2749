"""How long each service's database sessions waited for one another's locks in a phase (#25).

A consumed batch locks its referrals (``shared.referral_locks``) until it commits; another
batch of the same service that needs one of them waits, holding those it has already taken.
These waits are time on an event's way to the family that no CPU figure shows: the bench
samples them. Every ``interval_s`` it counts the sessions of each of this run's databases
waiting for a lock PostgreSQL has not granted (``pg_locks``, readable by any role, unlike
another role's ``wait_event`` in ``pg_stat_activity``): advisory locks (a referral's, a
child's identity at intake) and any other (rows, tables). A count times the interval is
seconds of waiting, an estimate whose resolution is the interval: waits much shorter than it
are mostly missed."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from urllib.parse import urlsplit

import asyncpg

from shared.services import EVENT_SERVICES

INTERVAL_S = 0.1
"""How often the waiting sessions are counted (one cheap query on the bench's connection)."""
ADVISORY = "advisory"
OTHER = "other"

_WAITING = """
    SELECT a.datname, CASE WHEN l.locktype = 'advisory' THEN 'advisory' ELSE 'other' END AS kind,
           count(DISTINCT l.pid) AS sessions
    FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE NOT l.granted AND a.datname = ANY($1::text[])
    GROUP BY 1, 2
"""


class LockWaits:
    """Seconds each service's sessions spent waiting for locks while sampling ran."""

    def __init__(self, urls: Mapping[str, str], interval_s: float = INTERVAL_S) -> None:
        self._service_of = {urlsplit(url).path.lstrip("/"): s for s, url in urls.items()}
        self._url = next(iter(urls.values()))
        self.interval_s = interval_s
        self.elapsed_s = 0.0
        """Seconds the sampling ran."""
        self.waiting: Counter[tuple[str, str]] = Counter()
        """Sessions found waiting, summed over the samples, by (service, kind)."""

    def seconds(self, service: str, kind: str | None = None) -> float:
        """Seconds ``service``'s sessions waited (of ``kind``, or of both)."""
        kinds = (ADVISORY, OTHER) if kind is None else (kind,)
        return sum(self.waiting[service, k] for k in kinds) * self.interval_s

    async def sample(self, conn: asyncpg.Connection) -> None:
        """Count the sessions waiting now (once)."""
        for row in await conn.fetch(_WAITING, list(self._service_of)):
            self.waiting[self._service_of[row["datname"]], row["kind"]] += row["sessions"]

    @contextlib.asynccontextmanager
    async def sampling(self) -> AsyncIterator[LockWaits]:
        """Sample every ``interval_s`` until the block ends."""
        conn = await asyncpg.connect(self._url)

        async def every_interval() -> None:
            loop = asyncio.get_running_loop()
            while True:
                started = loop.time()
                await self.sample(conn)
                await asyncio.sleep(max(0.0, self.interval_s - (loop.time() - started)))

        start = asyncio.get_running_loop().time()
        task = asyncio.create_task(every_interval())
        try:
            yield self
        finally:
            self.elapsed_s += asyncio.get_running_loop().time() - start
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await conn.close()

    def line(self) -> str:
        """What the sessions waited while sampling ran, for the bench's output."""
        services = list(dict.fromkeys(self._service_of.values()))
        each = ", ".join(
            f"{s} {self.seconds(s):.1f} s"
            for s in services
            if s in EVENT_SERVICES or self.seconds(s)
        )
        total = sum(self.seconds(s) for s in services)
        advisory = sum(self.seconds(s, ADVISORY) for s in services)
        share = f"; {advisory / total:.0%} of it for advisory locks" if total else ""
        mean = total / self.elapsed_s if self.elapsed_s > 0 else 0.0
        return (
            f"  waiting for locks (sessions sampled every {self.interval_s * 1000:.0f} ms): "
            f"{each}; {mean:.2f} sessions waiting on average{share}"
        )
