"""SQL for the registry: entries written one at a time (API) or all at once (CSV import)."""

from __future__ import annotations

from uuid import UUID, uuid4

import asyncpg

from shared.db import Connection
from specialists.registry import EntryIn, EntryView

_COLUMNS = """id, kind, team_id, display_name, specialism AS role, local_authority, councils,
    districts, settings, languages, capacity, working_pattern, active,
    allocated_weight AS allocated"""


class Conflict(Exception):
    """The change conflicts with what is stored (409)."""


class Invalid(Exception):
    """A field refers to something that is not there (422): (field, why)."""

    def __init__(self, field: str, why: str) -> None:
        super().__init__(f"{field}: {why}")
        self.field, self.why = field, why


def view(row: asyncpg.Record) -> EntryView:
    return EntryView.model_validate(dict(row))


async def listed(conn: Connection, local_authority: str) -> list[EntryView]:
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM specialists
            WHERE local_authority = $1 OR $1 = ANY (councils)
            ORDER BY specialism, display_name, id""",
        local_authority,
    )
    return [view(r) for r in rows]


async def one(conn: Connection, entry_id: UUID, *, lock: bool = False) -> EntryView | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM specialists WHERE id = $1{' FOR UPDATE' if lock else ''}",
        entry_id,
    )
    return None if row is None else view(row)


async def _check_team(conn: Connection, entry: EntryIn, entry_id: UUID) -> None:
    if entry.team_id is None:
        return
    if entry.kind != "practitioner":
        raise Invalid("team_id", "only a practitioner belongs to a team")
    team = await conn.fetchrow(
        "SELECT kind, local_authority FROM specialists WHERE id = $1", entry.team_id
    )
    if entry.team_id == entry_id or team is None or team["kind"] != "team":
        raise Invalid("team_id", f"no team {entry.team_id} in the registry")


async def save(conn: Connection, entry: EntryIn, *, create: bool) -> EntryView:
    """Create (409 if the id is taken) or replace an entry's fields (never its caseload)."""
    entry_id = entry.id or uuid4()
    await _check_team(conn, entry, entry_id)
    current = await one(conn, entry_id, lock=True)
    if create and current is not None:
        raise Conflict(f"an entry {entry_id} exists already")
    if current is not None and current.local_authority != entry.local_authority:
        raise Conflict("local_authority: an entry's commissioning council does not change")
    if current is not None and current.role != entry.role and current.allocated:
        raise Conflict("role: the entry has active allocations in its role")
    row = await conn.fetchrow(
        f"""INSERT INTO specialists (id, kind, team_id, display_name, specialism,
                local_authority, councils, districts, settings, languages, capacity,
                working_pattern, active)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, team_id = EXCLUDED.team_id,
                display_name = EXCLUDED.display_name, specialism = EXCLUDED.specialism,
                councils = EXCLUDED.councils, districts = EXCLUDED.districts,
                settings = EXCLUDED.settings, languages = EXCLUDED.languages,
                capacity = EXCLUDED.capacity, working_pattern = EXCLUDED.working_pattern,
                active = EXCLUDED.active, updated_at = now()
            RETURNING {_COLUMNS}""",
        entry_id,
        entry.kind,
        entry.team_id,
        entry.display_name,
        str(entry.role),
        entry.local_authority,
        entry.served(),
        entry.districts,
        entry.settings,
        entry.languages,
        entry.capacity,
        entry.working_pattern,
        entry.active,
    )
    assert row is not None
    return view(row)


async def retire(conn: Connection, entry_id: UUID) -> EntryView | None:
    """No new allocations; those it has run their course."""
    row = await conn.fetchrow(
        f"""UPDATE specialists SET active = false, updated_at = now() WHERE id = $1
            RETURNING {_COLUMNS}""",
        entry_id,
    )
    return None if row is None else view(row)
