"""SQL for the registry: entries written one at a time (API) or all at once (CSV import), and
the councils' agreements to be served by an entry another council commissions
(``specialists/registry/sharing.py``): who agreed, for which council, when.

(Longer than most modules: an entry's row and the agreements that decide which councils it
serves are written together, so that they never disagree; kept in one place on purpose.)
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import NamedTuple
from uuid import UUID, uuid4

import asyncpg

from shared.db import Connection
from specialists.registry.entry import EntryIn, EntryView
from specialists.registry.sharing import Sharing, share

# What the API shows as `councils` is every council named, served or still to agree.
_COLUMNS = """id, kind, team_id, display_name, specialism AS role, local_authority,
    councils || awaiting_councils AS councils, districts, settings, languages, capacity,
    working_pattern, active, email, allocated_weight AS allocated,
    awaiting_councils AS awaiting_agreement"""


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


class Saved(NamedTuple):
    entry: EntryView
    sharing: Sharing


async def save(
    conn: Connection,
    entry: EntryIn,
    *,
    create: bool,
    by: str,
    acting_for: Collection[str] | None,
) -> Saved:
    """Create (409 if the id is taken) or replace an entry's fields (never its caseload), as
    ``by`` acting for ``acting_for`` (None: the service itself, for every council): it
    serves the councils named that had agreed or that ``by`` acts for (and agrees for now)."""
    entry_id = entry.id or uuid4()
    await _check_team(conn, entry, entry_id)
    current = await one(conn, entry_id, lock=True)
    if create and current is not None:
        raise Conflict(f"an entry {entry_id} exists already")
    if current is not None and current.local_authority != entry.local_authority:
        raise Conflict("local_authority: an entry's commissioning council does not change")
    if current is not None and current.role != entry.role and current.allocated:
        raise Conflict("role: the entry has active allocations in its role")
    agreed = await _agreed(conn, entry_id) if current is not None else []
    same_role = current is None or current.role == entry.role
    sharing = share(entry.served(), agreed, acting_for, same_role=same_role)
    try:
        async with conn.transaction():  # a savepoint: row-level security refuses the id of
            row = await conn.fetchrow(  # an entry this council cannot see
                f"""INSERT INTO specialists (id, kind, team_id, display_name, specialism,
                        local_authority, councils, awaiting_councils, districts, settings,
                        languages, capacity, working_pattern, active, email)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                    ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind,
                        team_id = EXCLUDED.team_id, display_name = EXCLUDED.display_name,
                        specialism = EXCLUDED.specialism, councils = EXCLUDED.councils,
                        awaiting_councils = EXCLUDED.awaiting_councils,
                        districts = EXCLUDED.districts, settings = EXCLUDED.settings,
                        languages = EXCLUDED.languages, capacity = EXCLUDED.capacity,
                        working_pattern = EXCLUDED.working_pattern, active = EXCLUDED.active,
                        email = EXCLUDED.email, updated_at = now()
                    RETURNING {_COLUMNS}""",
                entry_id,
                entry.kind,
                entry.team_id,
                entry.display_name,
                str(entry.role),
                entry.local_authority,
                list(sharing.serves),
                list(sharing.awaiting),
                entry.districts,
                entry.settings,
                entry.languages,
                entry.capacity,
                entry.working_pattern,
                entry.active,
                entry.email,
            )
    except asyncpg.InsufficientPrivilegeError as hidden:
        raise Conflict(f"an entry {entry_id} exists already") from hidden
    assert row is not None
    await _end_agreements(conn, entry_id, sharing.ended, by)
    await _record_agreements(conn, entry_id, sharing.agreed_now, by)
    return Saved(view(row), sharing)


async def _agreed(conn: Connection, entry_id: UUID) -> list[str]:
    rows = await conn.fetch(
        """SELECT local_authority FROM registry_agreements
           WHERE entry_id = $1 AND ended_at IS NULL""",
        entry_id,
    )
    return [r["local_authority"] for r in rows]


async def _record_agreements(
    conn: Connection, entry_id: UUID, councils: Iterable[str], by: str
) -> None:
    await conn.executemany(
        """INSERT INTO registry_agreements (entry_id, local_authority, agreed_by)
           VALUES ($1, $2, $3)""",
        [(entry_id, council, by) for council in councils],
    )


async def _end_agreements(
    conn: Connection, entry_id: UUID, councils: Iterable[str], by: str
) -> None:
    await conn.execute(
        """UPDATE registry_agreements SET ended_at = now(), ended_by = $3
           WHERE entry_id = $1 AND local_authority = ANY ($2) AND ended_at IS NULL""",
        entry_id,
        list(councils),
        by,
    )


async def awaiting(conn: Connection, council: str) -> list[EntryView]:
    """Entries naming ``council`` that it has not agreed to (they do not serve it)."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM specialists WHERE $1 = ANY (awaiting_councils)
            ORDER BY specialism, display_name, id""",
        council,
    )
    return [view(r) for r in rows]


async def agree(conn: Connection, entry_id: UUID, council: str, by: str) -> EntryView:
    """``council`` agrees, as ``by``: the entry serves it from now (the caller has locked the
    entry and seen it await ``council``)."""
    await _record_agreements(conn, entry_id, [council], by)
    row = await conn.fetchrow(
        f"""UPDATE specialists SET councils = councils || $2::text,
                awaiting_councils = array_remove(awaiting_councils, $2), updated_at = now()
            WHERE id = $1 RETURNING {_COLUMNS}""",
        entry_id,
        council,
    )
    assert row is not None
    return view(row)


async def withdraw(conn: Connection, entry_id: UUID, council: str, by: str) -> EntryView:
    """``council`` withdraws its agreement, as ``by``: the entry no longer serves it (its
    allocations run their course) and asks it again (the caller has locked the entry and seen
    it serve ``council``)."""
    await _end_agreements(conn, entry_id, [council], by)
    row = await conn.fetchrow(
        f"""UPDATE specialists SET councils = array_remove(councils, $2),
                awaiting_councils = awaiting_councils || $2::text, updated_at = now()
            WHERE id = $1 RETURNING {_COLUMNS}""",
        entry_id,
        council,
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
