"""Applies numbered SQL files (``0001_name.sql``) to a service's database, once each.

The SQL ships inside the packages (``shared/sql/``, ``<service>/migrations/``) and is read with
``importlib.resources``, so an installed wheel (a container image) migrates without a source
checkout. The shared tables (outbox, inbox) come first, then the service's own files. Each file
runs in its own transaction; an advisory lock keeps two runners (two replicas starting) apart.

A service may also ship reference data as files (plans' standards catalogue): its package
declares ``data_import``, an ``async def data_import(conn)`` that runs after the SQL files, every
time, and is idempotent. ``migrate`` is given it (``data_import=``); the command finds it with
``data_import_of``, the one place this runner reaches into a service's code, by the registry's
package name, as it reads the service's SQL from that package.

``schema_migrations`` records the sha256 of each file applied. Before applying anything, every
applied file is compared with the one shipped now: an edited applied file is refused (nothing
is applied), because the databases already migrated would never see the edit. A file recorded
as applied but no longer shipped (an older image rolled back to) is left alone, silently: the
database may be ahead of the code, which expand-then-contract migrations allow.

    python -m shared.migrations                # every service in shared.services
    python -m shared.migrations referrals      # one
    python -m shared.migrations --create-database referrals   # local runs: create it if missing

runs as the tables' owner (``<SERVICE>_MIGRATIONS_DATABASE_URL``, default: the local server's
``send``) and then grants the services' role (the user of ``<SERVICE>_DATABASE_URL``) what it
may do (``shared.grants``). The tables force row-level security, so the policies bind the owner
too: the runner acts for every council (``owner_connection``), as a migration that moves rows
or a data import must.

(Longer than most modules: the runner, its checksum check and its command read best together.)
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import importlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg

from shared.councils import ALL, SETTING
from shared.grants import grant_service_role
from shared.services import SERVICES

DataImport = Callable[[asyncpg.Connection], Awaitable[object]]
"""A service's reference data, imported after its SQL as the tables' owner (in a transaction,
under the runner's lock); idempotent, since it runs on every migration."""

_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK_ID = 0x5E0D_0001  # any constant, the same in every runner


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file of one component (``shared`` or a service)."""

    component: str
    version: int
    name: str
    sql: str
    checksum: str
    """sha256 (hex) of the file's bytes, as recorded in ``schema_migrations``."""


@dataclass(frozen=True)
class ChangedFile:
    """An applied migration whose shipped file no longer has the content that was applied."""

    component: str
    name: str
    applied_checksum: str
    shipped_checksum: str


class MigrationChanged(Exception):
    """Applied migrations were edited; raised before anything is applied."""

    def __init__(self, changed: list[ChangedFile], next_versions: dict[str, int]) -> None:
        self.changed = changed
        described = "; ".join(
            f"{c.component}/{c.name} was applied with sha256 {c.applied_checksum}, "
            f"the file shipped now has sha256 {c.shipped_checksum}"
            for c in changed
        )
        new = ", ".join(
            f"{component}: {v:04d}_<what>.sql" for component, v in next_versions.items()
        )
        super().__init__(
            f"applied migration(s) changed: {described}. Nothing was applied. An applied migration "
            "must not be edited (databases that already ran it would never see the edit): "
            f"restore the file to what was applied and put the change in a new numbered "
            f"migration ({new})."
        )


def shared_migrations() -> Traversable:
    """The outbox and inbox tables every service's database has, shipped in ``shared``."""
    return files("shared") / "sql"


def shared_migrations_list() -> list[Migration]:
    return discover("shared", shared_migrations())


def service_migrations(service: str) -> Traversable:
    """A service's own SQL, shipped inside its package so an installed wheel can migrate."""
    return files(SERVICES[service].package) / "migrations"


def discover(component: str, folder: Traversable) -> list[Migration]:
    """The migrations in ``folder`` (a directory or a package resource), in order.

    A badly named file is refused rather than skipped: skipped, it would silently never run.
    """
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no migrations folder for {component!r}")
    found: list[Migration] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql"):
            continue
        match = _FILE_NAME.match(entry.name)
        if match is None:
            raise ValueError(f"{entry}: migration files are named NNNN_lower_case.sql")
        content = entry.read_bytes()
        found.append(
            Migration(
                component,
                int(match.group(1)),
                entry.name,
                content.decode("utf-8"),
                hashlib.sha256(content).hexdigest(),
            )
        )
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"{folder}: two migrations share a number")
    return found


def data_import_of(service: str) -> DataImport | None:
    """The reference-data import ``service``'s package declares (``data_import``), if any."""
    if service not in SERVICES:
        return None
    package = importlib.import_module(SERVICES[service].package)
    hook: DataImport | None = getattr(package, "data_import", None)
    return hook


async def migrate(
    database_url: str,
    component: str,
    source: Traversable,
    *,
    data_import: DataImport | None = None,
) -> list[Migration]:
    """Apply the shared files, then ``component``'s files from ``source``, that are missing,
    then ``data_import`` (the service's reference data: ``data_import_of``).

    ``source`` is a package resource (``service_migrations``) or a plain ``Path``, as tests use.
    Returns the migrations applied now. Raises ``MigrationChanged``, having applied nothing,
    when a file already applied was edited since. A service that does not meet the others on
    Kafka (``Service.events``: the workspace) gets no shared files: it has no outbox, inbox or
    children's records to audit.
    """
    service = SERVICES.get(component)
    shared = [] if service is not None and not service.events else shared_migrations_list()
    wanted = shared + discover(component, source)
    conn = await owner_connection(database_url)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_ID)
        async with conn.transaction():
            await conn.execute(
                """CREATE TABLE IF NOT EXISTS schema_migrations (
                       component text NOT NULL, version int NOT NULL, name text NOT NULL,
                       checksum text,
                       applied_at timestamptz NOT NULL DEFAULT now(),
                       PRIMARY KEY (component, version))"""
            )
            # A database migrated before checksums were recorded has the table without this
            # column. Its rows get the checksum of the file shipped now: nothing else records
            # what was applied, so the first checksumming run adopts the current content, and
            # from then on that file may not change.
            await conn.execute(
                "ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text"
            )
            await conn.executemany(
                """UPDATE schema_migrations SET checksum = $3
                   WHERE component = $1 AND version = $2 AND checksum IS NULL""",
                [(m.component, m.version, m.checksum) for m in wanted],
            )
        rows = await conn.fetch(
            "SELECT component, version, checksum FROM schema_migrations WHERE component = ANY($1)",
            ["shared", component],
        )
        done = {(r["component"], r["version"]): r["checksum"] for r in rows}
        _refuse_changed(wanted, done)
        applied: list[Migration] = []
        for m in wanted:
            if (m.component, m.version) in done:
                continue
            async with conn.transaction():
                await conn.execute(m.sql)
                await conn.execute(
                    """INSERT INTO schema_migrations (component, version, name, checksum)
                       VALUES ($1, $2, $3, $4)""",
                    m.component,
                    m.version,
                    m.name,
                    m.checksum,
                )
            applied.append(m)
        if data_import is not None:
            async with conn.transaction():
                await data_import(conn)
        return applied
    finally:
        await conn.close()


OWNER_SERVER_SETTINGS = {SETTING: ALL}
"""The session settings of the tables' owner: it acts for every council (for a pool, give them
as ``server_settings``; a pooled connection's reset keeps them)."""


async def owner_connection(database_url: str) -> asyncpg.Connection:
    """A connection as the tables' owner (``database_url`` names it), acting for every council.

    Row-level security is forced on the tables, so it binds their owner as well: without this
    the owner would see no row at all, and a migration that moves rows, a data import or the
    seed would silently do nothing (or fail the policies' check). Acting for every council is
    no new right: the owner could turn the policies off."""
    return await asyncpg.connect(database_url, server_settings=OWNER_SERVER_SETTINGS)


def _refuse_changed(wanted: list[Migration], done: dict[tuple[str, int], str | None]) -> None:
    changed = [
        ChangedFile(m.component, m.name, applied, m.checksum)
        for m in wanted
        if (applied := done.get((m.component, m.version))) is not None and applied != m.checksum
    ]
    if changed:
        highest: dict[str, int] = {}
        for m in wanted:
            highest[m.component] = max(highest.get(m.component, 0), m.version)
        for component, version in done:
            if component in highest:
                highest[component] = max(highest[component], version)
        components = dict.fromkeys(c.component for c in changed)
        raise MigrationChanged(changed, {c: highest[c] + 1 for c in components})


async def create_database_if_missing(database_url: str) -> bool:
    """Create the database ``database_url`` names when the server lacks it; True if created.

    For local runs (`make migrate`), so the local scripts keep no list of databases of their
    own: the registry is the list. Production databases are provisioned by the council, and
    the migration job there runs without this. Connects to the server's ``postgres`` database
    with the URL's credentials (which need CREATEDB) only when the database is missing.
    """
    name = _database_name(database_url)
    try:
        conn = await asyncpg.connect(database_url)
    except asyncpg.InvalidCatalogNameError:
        pass  # missing: create it below
    else:
        await conn.close()
        return False
    admin = await asyncpg.connect(database_url, database="postgres")
    try:
        quoted = name.replace('"', '""')
        await admin.execute(f'CREATE DATABASE "{quoted}"')
    except asyncpg.DuplicateDatabaseError:
        return False  # another runner created it meanwhile
    finally:
        await admin.close()
    return True


def _database_name(database_url: str) -> str:
    # As asyncpg reads it: the path, else a dbname or database parameter.
    url = urlsplit(database_url)
    query = parse_qs(url.query)
    name = (
        unquote(url.path.lstrip("/")) or (query.get("dbname") or query.get("database") or [""])[0]
    )
    if not name:
        raise ValueError("the database URL names no database")
    return name


async def _main(services: list[str], create_database: bool) -> None:
    for service in services:
        url = SERVICES[service].migrations_database_url()
        if create_database and await create_database_if_missing(url):
            print(f"{service}: created database {_database_name(url)}")
        try:
            applied = await migrate(
                url, service, service_migrations(service), data_import=data_import_of(service)
            )
        except MigrationChanged as exc:
            raise SystemExit(f"{service}: {exc}") from exc
        role = urlsplit(SERVICES[service].database_url()).username or ""
        try:
            await grant(url, role)
        except (LookupError, PermissionError) as exc:
            raise SystemExit(f"{service}: {exc}") from exc
        names = ", ".join(m.name for m in applied) or "nothing new"
        print(f"{service}: {names}; service role {role} granted")


async def grant(owner_url: str, role: str) -> None:
    """Grant the services' role its rights (``shared.grants``), as the tables' owner."""
    conn = await owner_connection(owner_url)
    try:
        await grant_service_role(conn, role)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m shared.migrations",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("services", nargs="*", help=f"default: all of {', '.join(SERVICES)}")
    parser.add_argument(
        "--create-database",
        action="store_true",
        help="create each service's database when missing, connecting to the server's "
        "'postgres' database with the same credentials (local runs; production databases "
        "are provisioned beforehand)",
    )
    args = parser.parse_args()
    services: list[str] = args.services or list(SERVICES)
    if unknown := [s for s in services if s not in SERVICES]:
        parser.error(f"unknown service(s) {', '.join(unknown)}; known: {', '.join(SERVICES)}")
    asyncio.run(_main(services, args.create_database))


if __name__ == "__main__":
    main()
