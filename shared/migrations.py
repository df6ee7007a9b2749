"""Applies numbered SQL files (``0001_name.sql``) to a service's database, once each.

The SQL ships inside the packages (``shared/sql/``, ``<service>/migrations/``) and is read with
``importlib.resources``, so an installed wheel (a container image) migrates without a source
checkout. The shared tables (outbox, inbox) come first, then the service's own files. Each file
runs in its own transaction; an advisory lock keeps two runners (two replicas starting) apart.

    python -m shared.migrations                # every service in shared.services
    python -m shared.migrations referrals      # one

reads each database URL from ``<SERVICE>_DATABASE_URL`` (default: the local server).
"""

from __future__ import annotations

import argparse
import asyncio
import re
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

import asyncpg

from shared.services import SERVICES

_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK_ID = 0x5E0D_0001  # any constant, the same in every runner


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file of one component (``shared`` or a service)."""

    component: str
    version: int
    name: str
    sql: str


def shared_migrations() -> Traversable:
    """The outbox and inbox tables every service's database has, shipped in ``shared``."""
    return files("shared") / "sql"


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
        found.append(
            Migration(component, int(match.group(1)), entry.name, entry.read_text("utf-8"))
        )
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"{folder}: two migrations share a number")
    return found


async def migrate(database_url: str, component: str, source: Traversable) -> list[Migration]:
    """Apply the shared files, then ``component``'s files from ``source``, that are missing.

    ``source`` is a package resource (``service_migrations``) or a plain ``Path``, as tests use.
    Returns the migrations applied now.
    """
    wanted = discover("shared", shared_migrations()) + discover(component, source)
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_ID)
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   component text NOT NULL, version int NOT NULL, name text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now(),
                   PRIMARY KEY (component, version))"""
        )
        rows = await conn.fetch("SELECT component, version FROM schema_migrations")
        done = {(r["component"], r["version"]) for r in rows}
        applied: list[Migration] = []
        for m in wanted:
            if (m.component, m.version) in done:
                continue
            async with conn.transaction():
                await conn.execute(m.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2, $3)",
                    m.component,
                    m.version,
                    m.name,
                )
            applied.append(m)
        return applied
    finally:
        await conn.close()


async def _main(services: list[str]) -> None:
    for service in services:
        applied = await migrate(
            SERVICES[service].database_url(), service, service_migrations(service)
        )
        names = ", ".join(m.name for m in applied) or "nothing new"
        print(f"{service}: {names}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("services", nargs="*", help=f"default: all of {', '.join(SERVICES)}")
    services = parser.parse_args().services or list(SERVICES)
    if unknown := [s for s in services if s not in SERVICES]:
        parser.error(f"unknown service(s) {', '.join(unknown)}; known: {', '.join(SERVICES)}")
    asyncio.run(_main(services))


if __name__ == "__main__":
    main()
