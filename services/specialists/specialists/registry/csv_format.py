"""The registry as CSV, for import and export (the same format both ways). Pure.

One row per entry; list cells hold their items separated by spaces (``LS6 LS7``); ``active``
is ``true`` or ``false``; an empty ``id`` makes a new entry. ``email`` (the entry's own mailbox)
came later: a file without that column is read as before, each entry without an address.

A caseworker opens the export in a spreadsheet, which runs a cell starting ``=``, ``+``, ``-``,
``@``, a tab or a carriage return as a formula (CSV injection). So the export writes such a cell
with a leading ``'`` (OWASP's rule: the spreadsheet shows it as text), and a cell that starts
with ``'`` itself gets one more; the import takes one ``'`` off a cell where the export would
have put it, so an export imports back exactly, whatever the values.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any, NamedTuple

from pydantic import ValidationError

from specialists.registry.entry import EntryIn, EntryView

COLUMNS = (
    "id", "kind", "team_id", "display_name", "role", "local_authority", "councils",
    "districts", "settings", "languages", "capacity", "working_pattern", "active", "email",
)  # fmt: skip
OPTIONAL = frozenset({"email"})
"""Columns an older file may leave out."""
LISTS = frozenset({"councils", "districts", "settings", "languages"})
MAX_ROWS = 5000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet takes as the start of a formula (OWASP, CSV injection)."""
ESCAPE = "'"


class RowProblem(NamedTuple):
    """Line 1 is the header, so the first entry is line 2."""

    line: int
    field: str
    why: str


def neutralised(cell: str) -> str:
    """The cell as the export writes it: shown as text by a spreadsheet, never run."""
    return ESCAPE + cell if cell.startswith((*FORMULA_STARTS, ESCAPE)) else cell


def restored(cell: str) -> str:
    """The value an exported cell stands for (``neutralised`` undone). A ``'`` before anything
    the export would not have escaped is the value's own, as a person typing it meant it."""
    if cell.startswith(ESCAPE) and cell[1:].startswith((*FORMULA_STARTS, ESCAPE)):
        return cell[1:]
    return cell


def _cell(name: str, value: str) -> Any:
    value = restored(value.strip())
    if name in LISTS:
        return value.split()
    if name == "active":
        return {"true": True, "false": False}.get(value.lower(), value)
    if name in ("id", "team_id", "email") and not value:
        return None
    return value


def parse(text: str) -> tuple[list[tuple[int, EntryIn]], list[RowProblem]]:
    """Every row read, and every problem found (line, field, why): all or nothing."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in COLUMNS if c not in header and c not in OPTIONAL]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        why = f"missing columns {missing}" if missing else f"unknown columns {unknown}"
        return [], [RowProblem(1, "header", why)]
    entries: list[tuple[int, EntryIn]] = []
    problems: list[RowProblem] = []
    for number, row in enumerate(reader, start=2):
        if number > MAX_ROWS + 1:
            problems.append(RowProblem(number, "file", f"more than {MAX_ROWS} rows"))
            break
        if None in row:
            problems.append(RowProblem(number, "row", "more cells than columns"))
            continue
        try:
            cells = {name: _cell(name, row.get(name) or "") for name in COLUMNS}
            entries.append((number, EntryIn.model_validate(cells)))
        except ValidationError as invalid:
            for error in invalid.errors():
                field = ".".join(str(p) for p in error["loc"]) or "row"
                problems.append(RowProblem(number, field, error["msg"]))
    seen: dict[Any, int] = {}
    for number, entry in entries:
        if entry.id is not None and entry.id in seen:
            problems.append(RowProblem(number, "id", f"repeats line {seen[entry.id]}"))
        seen.setdefault(entry.id, number)
    return entries, problems


def _text(name: str, value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def write(entries: Iterable[EntryView]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for entry in entries:
        data = entry.model_dump(mode="json")
        writer.writerow([neutralised(_text(c, data[c])) for c in COLUMNS])
    return out.getvalue()
