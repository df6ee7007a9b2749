"""The PostgreSQL connection pool."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

import asyncpg


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


if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
    """A connection, whether opened alone or taken from the pool."""
else:
    Connection = asyncpg.Connection
