"""The PostgreSQL server a bench runs on: how durable its commits are, and its postmaster.

Durability belongs to the whole cluster (``fsync``, ``synchronous_commit``,
``full_page_writes``), and it changes what a commit costs: figures from a server with any of
them off are not what a council's server would pay. So every bench says, before anything
else, which settings the server it used had.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import asyncpg

from scripts.bench.processes import read_stat
from shared.services import local_postgres_url

DURABILITY_SETTINGS = ("fsync", "synchronous_commit", "full_page_writes")
"""What a commit needs to survive a crash of the server (or of the machine), all ``on`` in
production: a WAL flush before the answer, a flush that reaches the disk, and whole pages
logged after each checkpoint so a torn write can be repaired."""


def bench_postgres_url() -> str:
    """The server every bench and the soak run on, without a database name: the local durable
    cluster (``deploy/local/postgres.sh``'s, as `make run` uses), or ``TEST_POSTGRES_URL``."""
    return os.environ.get("TEST_POSTGRES_URL") or local_postgres_url(durable=True)


async def durability(postgres_url: str) -> dict[str, str]:
    """The server's durability settings as it reports them (``SHOW``), in
    ``DURABILITY_SETTINGS`` order. ``postgres_url`` names no database."""
    conn = await asyncpg.connect(f"{postgres_url}/postgres")
    try:
        return {name: await conn.fetchval(f"SHOW {name}") for name in DURABILITY_SETTINGS}
    finally:
        await conn.close()


def is_durable(settings: dict[str, str]) -> bool:
    return all(settings.get(name) == "on" for name in DURABILITY_SETTINGS)


async def describe(postgres_url: str) -> str:
    """One line for the top of a bench's output: the server and its durability."""
    settings = await durability(postgres_url)
    address = urlsplit(postgres_url).netloc.rsplit("@", 1)[-1]
    shown = ", ".join(f"{name} = {value}" for name, value in settings.items())
    verdict = (
        "production durability"
        if is_durable(settings)
        else "NOT production durability: commits cost less than a council's server would pay"
    )
    return f"PostgreSQL at {address}: {shown} ({verdict})"


async def find_postmaster(postgres_url: str) -> int | None:
    """The pid of the server's postmaster, when it runs on this machine: the parent of the
    backend serving a connection to it. With two local clusters (the tests' and the durable
    one) only this tells which server's CPU is the bench's. None for a server elsewhere."""
    conn = await asyncpg.connect(f"{postgres_url}/postgres")
    try:
        backend: int = await conn.fetchval("SELECT pg_backend_pid()")
        stat = read_stat(backend)
        # A server elsewhere: its backend's pid is nothing, or something else, here.
        if stat is None or stat.comm != "postgres":
            return None
        parent = read_stat(stat.ppid)
        return stat.ppid if parent is not None and parent.comm == "postgres" else None
    finally:
        await conn.close()
