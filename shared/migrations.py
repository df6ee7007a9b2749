"""Applies numbered SQL files (``0001_name.sql``) to a service's database, once each.

The shared tables (outbox, inbox) come first, then the service's own files. Each file runs in
its own transaction; an advisory lock keeps two runners (two replicas starting) apart.

    python -m shared.migrations                # every service in shared.services
    python -m shared.migrations referrals      # one

reads each database URL from ``<SERVICE>_DATABASE_URL`` (default: the local server).
"""

from __future__ import annotations

import argparse
import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from shared.services import SERVICES

SHARED_MIGRATIONS = Path(__file__).parent / "sql"
REPO_ROOT = Path(__file__).resolve().parent.parent
_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK_ID = 0x5E0D_0001  # any constant, the same in every runner


@dataclass(frozen=True)
class Migration:
    component: str
    version: int
    path: Path


def discover(component: str, folder: Path) -> list[Migration]:
    """The migrations in ``folder``, in order; rejects a badly named file rather than skip it."""
    found: list[Migration] = []
    for path in sorted(folder.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise ValueError(f"{path}: migration files are named NNNN_lower_case.sql")
        found.append(Migration(component, int(match.group(1)), path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"{folder}: two migrations share a number")
    return found


async def migrate(database_url: str, service: str, service_folder: Path) -> list[Migration]:
    """Apply what is missing; returns the migrations applied now."""
    wanted = discover("shared", SHARED_MIGRATIONS) + discover(service, service_folder)
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
                await conn.execute(m.path.read_text())
                await conn.execute(
                    "INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2, $3)",
                    m.component,
                    m.version,
                    m.path.name,
                )
            applied.append(m)
        return applied
    finally:
        await conn.close()


async def _main(services: list[str]) -> None:
    for service in services:
        folder = REPO_ROOT / "services" / service / "migrations"
        if not folder.is_dir():
            raise SystemExit(f"no migrations folder for service {service!r} at {folder}")
        applied = await migrate(SERVICES[service].database_url(), service, folder)
        names = ", ".join(m.path.name for m in applied) or "nothing new"
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
