"""The local PostgreSQL clusters' durability: `make run`, the bench and the soak run on a cluster
whose commits survive a crash of the server, as production's do; the tests run on their own,
whose settings are reported here (the local one trades durability for speed).

Both are asked as the servers answer (``SHOW``), not as a configuration file says: a cluster
reused from elsewhere, or one started by an older checkout, is what it reports."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg

from scripts.bench.server import DURABILITY_SETTINGS, bench_postgres_url, durability, is_durable
from tests.conftest import Infrastructure


async def test_the_cluster_of_run_bench_and_soak_makes_every_commit_durable() -> None:
    settings = await durability(bench_postgres_url())

    assert settings == dict.fromkeys(DURABILITY_SETTINGS, "on")


async def test_the_tests_cluster_reports_its_settings_and_is_not_the_durable_one(
    infrastructure: Infrastructure, record_property: Callable[[str, object], None]
) -> None:
    settings = await durability(infrastructure.postgres_url)
    record_property("tests_cluster_durability", settings)

    assert set(settings) == set(DURABILITY_SETTINGS)
    assert set(settings.values()) <= {"on", "off"}
    if not is_durable(settings):
        # Fast settings are for the tests alone: the bench's server must be another one.
        assert await _cluster_identity(infrastructure.postgres_url) != await _cluster_identity(
            bench_postgres_url()
        )


async def _cluster_identity(postgres_url: str) -> tuple[str, str]:
    """Which cluster a server is: its port and its system identifier (set once by initdb;
    ``data_directory`` would say it too, but only superusers may read it)."""
    conn = await asyncpg.connect(f"{postgres_url}/postgres")
    try:
        port: str = await conn.fetchval("SHOW port")
        system: int = await conn.fetchval("SELECT system_identifier FROM pg_control_system()")
        return port, str(system)
    finally:
        await conn.close()
