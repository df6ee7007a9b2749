"""The migration runner against real PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest

from shared.migrations import MigrationChanged, create_database_if_missing, migrate
from tests.conftest import Infrastructure

REPO_ROOT = Path(__file__).resolve().parents[2]


def _component() -> str:
    return f"svc_{uuid4().hex[:8]}"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
async def new_database_url(infrastructure: Infrastructure) -> AsyncIterator[str]:
    """The URL of a database of this test's own, not created yet; dropped afterwards."""
    name = f"migrations_test_{uuid4().hex[:12]}"
    yield f"{infrastructure.postgres_url}/{name}"
    admin = await asyncpg.connect(f"{infrastructure.postgres_url}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def test_each_migration_is_applied_once_in_order(
    database_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    component = _component()
    (tmp_path / "0001_create.sql").write_text(f"CREATE TABLE {component} (n int);")
    (tmp_path / "0002_seed.sql").write_text(f"INSERT INTO {component} VALUES (1);")

    first = await migrate(database_url, component, tmp_path)
    again = await migrate(database_url, component, tmp_path)

    assert [m.version for m in first] == [1, 2]
    assert again == []
    assert await pool.fetchval(f"SELECT count(*) FROM {component}") == 1


async def test_a_failing_migration_leaves_nothing_behind_and_is_retried_next_time(
    database_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    component = _component()
    (tmp_path / "0001_half.sql").write_text(
        f"CREATE TABLE {component} (n int); INSERT INTO {component} VALUES ('not a number');"
    )
    with pytest.raises(asyncpg.InvalidTextRepresentationError):
        await migrate(database_url, component, tmp_path)
    assert await pool.fetchval("SELECT to_regclass($1)", component) is None
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM schema_migrations WHERE component = $1", component
        )
        == 0
    )

    (tmp_path / "0001_half.sql").write_text(f"CREATE TABLE {component} (n int);")
    assert [m.version for m in await migrate(database_url, component, tmp_path)] == [1]


async def test_a_badly_named_file_is_refused_not_skipped(database_url: str, tmp_path: Path) -> None:
    (tmp_path / "1_create.sql").write_text("SELECT 1;")
    with pytest.raises(ValueError, match=r"NNNN_lower_case\.sql"):
        await migrate(database_url, _component(), tmp_path)


async def test_an_edited_applied_file_is_refused_and_nothing_else_is_applied(
    database_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    component = _component()
    first = tmp_path / "0001_create.sql"
    first.write_text(f"CREATE TABLE {component} (n int);")
    await migrate(database_url, component, tmp_path)
    applied_checksum = _sha256(first)

    first.write_text(f"CREATE TABLE {component} (n bigint);")
    (tmp_path / "0002_more.sql").write_text(f"CREATE TABLE {component}_more (n int);")
    with pytest.raises(MigrationChanged) as refused:
        await migrate(database_url, component, tmp_path)

    message = str(refused.value)
    assert f"{component}/0001_create.sql" in message
    assert applied_checksum in message
    assert _sha256(first) in message
    # The operator is told what to do instead: the next free number (0002 is taken).
    assert f"{component}: 0003_<what>.sql" in message
    assert await pool.fetchval("SELECT to_regclass($1)", f"{component}_more") is None
    recorded = await pool.fetch(
        "SELECT version, checksum FROM schema_migrations WHERE component = $1", component
    )
    assert [(r["version"], r["checksum"]) for r in recorded] == [(1, applied_checksum)]


async def test_a_file_applied_but_no_longer_shipped_is_left_alone(
    database_url: str, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    # An older image rolled back to: the database is ahead of the code it now runs.
    component = _component()
    (tmp_path / "0001_create.sql").write_text(f"CREATE TABLE {component} (n int);")
    (tmp_path / "0002_seed.sql").write_text(f"INSERT INTO {component} VALUES (1);")
    await migrate(database_url, component, tmp_path)

    (tmp_path / "0002_seed.sql").unlink()

    assert await migrate(database_url, component, tmp_path) == []
    assert await pool.fetchval(f"SELECT count(*) FROM {component}") == 1


async def test_a_database_migrated_before_checksums_gets_them_and_is_checked_from_then_on(
    new_database_url: str, tmp_path: Path
) -> None:
    assert await create_database_if_missing(new_database_url)
    component = _component()
    first = tmp_path / "0001_create.sql"
    first.write_text(f"CREATE TABLE {component} (n int);")
    shared_sql = REPO_ROOT / "shared" / "sql" / "0001_outbox_inbox.sql"
    conn = await asyncpg.connect(new_database_url)
    try:
        # What the runner without checksums left behind.
        await conn.execute(shared_sql.read_text())
        await conn.execute(first.read_text())
        await conn.execute(
            """CREATE TABLE schema_migrations (
                   component text NOT NULL, version int NOT NULL, name text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now(),
                   PRIMARY KEY (component, version));
               INSERT INTO schema_migrations (component, version, name)
               VALUES ('shared', 1, '0001_outbox_inbox.sql');"""
        )
        await conn.execute(
            "INSERT INTO schema_migrations (component, version, name) VALUES ($1, 1, $2)",
            component,
            first.name,
        )

        assert await migrate(new_database_url, component, tmp_path) == []

        rows = await conn.fetch("SELECT component, checksum FROM schema_migrations ORDER BY 1")
        assert sorted((r["component"], r["checksum"]) for r in rows) == sorted(
            [("shared", _sha256(shared_sql)), (component, _sha256(first))]
        )
        first.write_text(f"CREATE TABLE {component} (n bigint);")
        with pytest.raises(MigrationChanged, match=r"0001_create\.sql"):
            await migrate(new_database_url, component, tmp_path)
    finally:
        await conn.close()


async def test_create_database_if_missing_creates_it_once(new_database_url: str) -> None:
    assert await create_database_if_missing(new_database_url)
    assert not await create_database_if_missing(new_database_url)
    conn = await asyncpg.connect(new_database_url)
    await conn.close()
