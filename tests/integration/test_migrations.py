"""The migration runner against real PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest

from shared.migrations import migrate


def _component() -> str:
    return f"svc_{uuid4().hex[:8]}"


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
