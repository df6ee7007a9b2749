"""The PostgreSQL connection pool of a service, opened in its lifespan."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, TypeAlias

import asyncpg

from shared.failures import DatabaseNotOpen


async def create_pool(database_url: str, *, max_size: int = 10) -> asyncpg.Pool:
    """A pool that connects on first use, so it opens even while PostgreSQL is down; the
    query that finds the server unreachable raises ``OSError`` or an ``asyncpg`` error."""
    return await asyncpg.create_pool(
        dsn=database_url,
        min_size=0,
        max_size=max_size,
        command_timeout=30,
        # A dead server must not hang callers for minutes.
        timeout=10,
    )


class Database:
    """A service's own database: its pool while the service runs, and a readiness check."""

    def __init__(self, database_url: str, *, max_size: int = 10) -> None:
        self.url = database_url
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        self._pool = await create_pool(self.url, max_size=self._max_size)

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    def pool(self) -> asyncpg.Pool:
        """The open pool; ``DatabaseNotOpen`` (an outage, answered 503) before or after."""
        if self._pool is None:
            raise DatabaseNotOpen("the database pool is not open")
        return self._pool

    async def check(self) -> str:
        """``ok``, or what is wrong (for /health/ready)."""
        try:
            async with asyncio.timeout(2):
                await self.pool().fetchval("SELECT 1")
        except Exception as exc:
            return f"unavailable ({type(exc).__name__})"
        return "ok"


if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
    """A connection, whether opened alone or taken from the pool."""
else:
    Connection = asyncpg.Connection
