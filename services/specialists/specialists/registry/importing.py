"""Importing a registry CSV: every row validated, then all applied or none."""

from __future__ import annotations

from collections.abc import Collection

from shared.db import Connection
from specialists.registry import csv_format, store
from specialists.registry.csv_format import RowProblem
from specialists.registry.store import Saved


class Rejected(Exception):
    """Nothing was stored: every problem, by line and field."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


async def import_csv(
    conn: Connection, text: str, *, by: str, acting_for: Collection[str] | None
) -> list[Saved]:
    """Create or replace every entry of ``text`` (teams first, so a practitioner may name a
    team of the same file), in the caller's transaction; ``Rejected`` (and the caller rolls
    back) if any row is wrong. ``by`` imports it acting for ``acting_for`` (None: the service
    itself, for every council): rows commissioned by those councils only, each serving the
    councils that agreed or that ``by`` acts for (``specialists/registry/sharing.py``)."""
    if not conn.is_in_transaction():
        raise RuntimeError("import_csv runs inside a transaction (all or nothing)")
    rows, problems = csv_format.parse(text)
    for line, entry in rows:
        if acting_for is not None and entry.local_authority not in acting_for:
            problems.append(RowProblem(line, "local_authority", "not a council you manage"))
    if problems:
        raise Rejected(sorted(problems))
    saved: list[Saved] = []
    for line, entry in sorted(rows, key=lambda r: (r[1].kind != "team", r[0])):
        try:
            saved.append(await store.save(conn, entry, create=False, by=by, acting_for=acting_for))
        except store.Invalid as invalid:
            problems.append(RowProblem(line, invalid.field, invalid.why))
        except store.Conflict as conflict:
            field, _, why = str(conflict).partition(": ")
            problems.append(RowProblem(line, field if why else "id", why or str(conflict)))
    if problems:
        raise Rejected(sorted(problems))
    return saved
