"""The catalogue in the database: every shipped version file imported once (run by the
migrations, as the tables' owner), and the catalogue in force for a council read back.

A version already imported is compared with the file shipped now: a released version edited
in place is refused (a change must be a new version file), like an edited migration.
"""

from __future__ import annotations

import hashlib
import json
from importlib.resources import files
from typing import cast

from plans.standards import (
    NATIONAL,
    Catalogue,
    CatalogueVersion,
    in_force,
    newest,
    version_key,
)
from shared.db import Connection
from shared.referral_locks import held_on


class CatalogueChanged(Exception):
    """A released catalogue version's file no longer matches what was imported."""


def shipped() -> list[tuple[CatalogueVersion, str]]:
    """Every catalogue version file shipped in the package, with its sha256, by file name."""
    folder = files("plans") / "catalogue"
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            content = entry.read_bytes()
            version = CatalogueVersion.model_validate_json(content)
            if f"{version.name}.json" != entry.name:
                raise ValueError(f"{entry.name}: holds {version.name}, name it {version.name}.json")
            found.append((version, hashlib.sha256(content).hexdigest()))
    return found


def shipped_in_force(local_authority: str | None = None) -> Catalogue:
    """The catalogue in force from the files shipped (the newest national version, and the
    council's layer when it has one), without a database: for tools and tests."""
    versions = [version for version, _ in shipped()]
    national = newest(versions, NATIONAL)
    if national is None:
        raise LookupError("no national catalogue is shipped")
    council = None if local_authority is None else newest(versions, local_authority)
    return in_force(national, council)


async def import_catalogues(conn: Connection) -> list[str]:
    """Import the shipped versions not yet in the database; returns their names."""
    imported = []
    for version, checksum in shipped():
        stored = await conn.fetchval(
            "SELECT checksum FROM catalogue_versions WHERE layer = $1 AND version = $2",
            version.layer,
            version.version,
        )
        if stored == checksum:
            continue
        if stored is not None:
            raise CatalogueChanged(
                f"catalogue {version.name} was imported with sha256 {stored}, the file shipped "
                f"now has {checksum}: a released version is never edited; restore it and put "
                "the change in a new version file"
            )
        await conn.execute(
            """INSERT INTO catalogue_versions (layer, version, checksum, body)
               VALUES ($1, $2, $3, $4::jsonb)""",
            version.layer,
            version.version,
            checksum,
            version.model_dump_json(),
        )
        await conn.executemany(
            """INSERT INTO catalogue_standards (layer, version, standard_id, needs, phases, body)
               VALUES ($1, $2, $3, $4, $5, $6::jsonb)""",
            [
                (version.layer, version.version, s.id, list(s.needs), list(s.phases),
                 s.model_dump_json())
                for s in version.standards
            ],
        )  # fmt: skip
        imported.append(version.name)
    return imported


_versions: dict[tuple[str, str], CatalogueVersion] = {}  # released versions never change


async def catalogue_in_force(conn: Connection, local_authority: str) -> Catalogue:
    """The newest national version with the newest of the council's own layer over it.

    Read once per council in a consumed batch (``shared.referral_locks.held_on``: kept while
    the batch's transaction lasts), not once per referral drafted: a batch of 200 referrals
    made 200 reads of the same versions (issue #25). The batch then drafts with the versions
    in force when its first referral of that council did, as if it had run a moment sooner."""
    held = held_on(conn)
    key = f"{__name__}.catalogue_in_force:{local_authority}"
    if held is not None and key in held.remembered:
        return cast("Catalogue", held.remembered[key])
    catalogue = await _read_in_force(conn, local_authority)
    if held is not None:
        held.remembered[key] = catalogue
    return catalogue


async def _read_in_force(conn: Connection, local_authority: str) -> Catalogue:
    rows = await conn.fetch(
        "SELECT layer, version FROM catalogue_versions WHERE layer = ANY($1)",
        [NATIONAL, local_authority],
    )
    newest: dict[str, str] = {}
    for row in rows:
        layer, version = row["layer"], row["version"]
        if layer not in newest or version_key(version) > version_key(newest[layer]):
            newest[layer] = version
    if NATIONAL not in newest:
        raise LookupError("no national catalogue imported: run the plans migrations")
    national = await _version(conn, NATIONAL, newest[NATIONAL])
    council = newest.get(local_authority)
    layer = None if council is None else await _version(conn, local_authority, council)
    return in_force(national, layer)


async def _version(conn: Connection, layer: str, version: str) -> CatalogueVersion:
    key = (layer, version)
    if key not in _versions:
        body = await conn.fetchval(
            "SELECT body::text FROM catalogue_versions WHERE layer = $1 AND version = $2",
            layer,
            version,
        )
        _versions[key] = CatalogueVersion.model_validate(json.loads(body))
    return _versions[key]
