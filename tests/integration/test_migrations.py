"""The migration runner against real PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import importlib.metadata
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import asyncpg
import httpx
import pytest

from scripts.platform import free_port, service_url
from shared.migrations import (
    MigrationChanged,
    create_database_if_missing,
    migrate,
    owner_connection,
)
from shared.settings import KafkaSettings
from shared.topics import delete_namespace, platform_topics
from tests import namespaces as test_namespaces
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
    conn = await owner_connection(new_database_url)
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

        applied = await migrate(new_database_url, component, tmp_path)
        # Only what came after the old runner (later shared files): nothing applied twice.
        assert {(m.component, m.version) for m in applied} & {
            ("shared", 1),
            (component, 1),
        } == set()

        rows = await conn.fetch(
            "SELECT component, version, checksum FROM schema_migrations WHERE version = 1"
        )
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
    conn = await owner_connection(new_database_url)
    await conn.close()


def _build_isolation_args() -> list[str]:
    # The project's metadata (an SPDX `license` string, PEP 639) needs setuptools 77 or newer;
    # a venv made by `python -m venv` on 3.11 carries 65.x. Without a recent enough one, pip
    # builds in an isolated environment, fetching setuptools as `make install` does.
    try:
        major = int(importlib.metadata.version("setuptools").split(".")[0])
    except importlib.metadata.PackageNotFoundError:
        return []
    return ["--no-build-isolation"] if major >= 77 else []


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


async def test_migrations_run_from_an_installed_wheel_outside_the_repository(
    new_database_url: str, tmp_path: Path, infrastructure: Infrastructure
) -> None:
    """What the container image does, from the wheel alone: migrations, topics, a service."""
    # Build from a copy, so the build leaves nothing in the checkout and runs beside others.
    source = tmp_path / "source"
    shutil.copytree(
        REPO_ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", ".local", "build", "*.egg-info", "__pycache__", ".*_cache"
        ),
    )
    wheels = tmp_path / "wheels"
    _run(
        [
            *(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps"),
            *_build_isolation_args(),
            *("-w", str(wheels), str(source)),
        ],
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = {n for n in archive.namelist() if n.endswith(".sql")}
    # services/<name>/<name>/migrations/*.sql lands at <name>/migrations/*.sql
    in_source = {
        p.relative_to(p.parents[2]).as_posix()
        for p in (REPO_ROOT / "services").glob("*/*/migrations/*.sql")
    } | {p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / "shared/sql").glob("*.sql")}
    assert len(in_source) >= 6
    assert shipped == in_source

    site = tmp_path / "site"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        cwd=tmp_path,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "REFERRALS_MIGRATIONS_DATABASE_URL": new_database_url,
        "REFERRALS_DATABASE_URL": service_url(new_database_url),
    }
    # The editable install's finder sits at the end of sys.meta_path, after the path finder
    # that searches PYTHONPATH, so the wheel's copy is the one imported.
    imported = _run(
        [
            sys.executable,
            "-c",
            "import shared, referrals, shared.migrations as m; "
            "print(shared.__file__, referrals.__file__, m.service_migrations('referrals'))",
        ],
        cwd=elsewhere,
        env=env,
    ).split()
    assert len(imported) == 3
    assert all(Path(f).is_relative_to(site) for f in imported), imported

    migrate_referrals = [
        sys.executable,
        "-m",
        "shared.migrations",
        "--create-database",
        "referrals",
    ]
    first = _run(migrate_referrals, cwd=elsewhere, env=env)
    again = _run(migrate_referrals, cwd=elsewhere, env=env)

    assert "referrals: created database" in first
    assert (
        "referrals: 0001_outbox_inbox.sql, 0002_councils_and_audit.sql, "
        "0003_audit_client_request_id.sql, 0004_force_row_level_security.sql, "
        "0001_referrals.sql" in first
    )
    assert again.strip() == "referrals: nothing new; service role send_app granted"
    conn = await owner_connection(new_database_url)
    try:
        for table in ("children", "referrals", "timeline", "outbox", "inbox"):
            assert await conn.fetchval("SELECT to_regclass($1)::text", table) == table
        rows = await conn.fetch(
            "SELECT component, name, checksum FROM schema_migrations ORDER BY component"
        )
    finally:
        await conn.close()
    files = {
        (component, path.name): _sha256(path)
        for component, folder in (
            ("referrals", "services/referrals/referrals/migrations"),
            ("shared", "shared/sql"),
        )
        for path in (REPO_ROOT / folder).glob("*.sql")
    }
    assert {(r["component"], r["name"]): r["checksum"] for r in rows} == files

    # The topics command (the chart's topics Job), in a namespace of this test's own.
    namespace = test_namespaces.namespace("wheel")
    kafka_env = {
        **env,
        "KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap_servers,
        "SEND_NAMESPACE": namespace,
        "KAFKA_TOPIC_PARTITIONS": "1",
    }
    settings = KafkaSettings(
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap_servers, SEND_NAMESPACE=namespace
    )
    try:
        topics = _run([sys.executable, "-m", "shared.topics"], cwd=elsewhere, env=kafka_env)
        wanted = len(platform_topics(settings))  # the partners' own topics too
        assert f"topics: {wanted} wanted, {wanted} created" in topics

        # A service as the chart's Deployment starts it: ready (database and Kafka), then
        # SIGTERM ends it cleanly.
        port = free_port()
        service = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "uvicorn", "referrals.app:create_app", "--factory"),
            *("--host", "127.0.0.1", "--port", str(port), "--timeout-graceful-shutdown", "20"),
            cwd=elsewhere,
            env=kafka_env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            ready = await _wait_ready(f"http://127.0.0.1:{port}/health/ready", service)
            assert ready == 200
        finally:
            service.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(service.communicate(), timeout=45)
        # uvicorn re-raises the signal once it has shut down: ended by SIGTERM, after a clean
        # shutdown (the container's exit code 143).
        assert service.returncode in (0, -signal.SIGTERM), output.decode()
        assert "Application shutdown complete" in output.decode()
    finally:
        await delete_namespace(settings)


async def _wait_ready(url: str, process: asyncio.subprocess.Process, timeout_s: float = 60) -> int:
    deadline = asyncio.get_running_loop().time() + timeout_s
    status = 0
    async with httpx.AsyncClient(timeout=2) as client:
        while asyncio.get_running_loop().time() < deadline:
            assert process.returncode is None, "the service exited before it was ready"
            try:
                status = (await client.get(url)).status_code
            except httpx.TransportError:
                status = 0
            if status == 200:
                return status
            await asyncio.sleep(0.3)
    return status
