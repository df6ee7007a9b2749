"""A section's form and the API's section, both ways: the lines of a section as rows of
answers (what the form shows, strings as posted), and the rows as the section's content for
``PUT .../plan/sections/{key}``.

Rows are numbered by their place in the form (``row-2-support``); the API numbers the lines
it was sent, which differ once a row is removed: ``Built.sent`` keeps which row each line
came from (``problems`` puts the API's 422 back on its row with it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from web.plan.sections import Field, Section, line_name

Row = dict[str, Any]
"""One line's answers: ``id`` and ``standard_id`` (kept, not asked), then a string per
field (a list of ids for ``lines``, the three boxes for a ``date``)."""

BY_CASEWORKER = "caseworker"  # a line a person wrote cites no standard: the API's word


def rows_of(section: Section, content: Any) -> list[Row]:
    """The section's lines as the form shows them."""
    rows = []
    for line in content or []:
        row: Row = {"id": str(line.get("id", "")), "standard_id": str(line.get("standard_id", ""))}
        for f in section.fields:
            row[f.name] = _shown(f, line.get(f.name))
        rows.append(row)
    return rows


def _shown(f: Field, value: Any) -> Any:
    if f.kind == "lines":
        return [str(v) for v in value or []]
    if f.kind == "date":
        if not value:
            return {"day": "", "month": "", "year": ""}
        day = date.fromisoformat(str(value))
        return {"day": str(day.day), "month": str(day.month), "year": str(day.year)}
    if f.kind == "flag":
        return "yes" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def posted_rows(section: Section, form: Mapping[str, Any]) -> tuple[list[Row], set[int]]:
    """The rows as posted, and which of them the caseworker ticked to remove. ``form`` is a
    multi-dict, or the flat dict of answers kept when a session ended mid-form."""
    getlist = getattr(form, "getlist", None)
    try:
        count = min(int(str(form.get("rows", "0"))), 200)
    except ValueError:
        count = 0
    rows: list[Row] = []
    removed: set[int] = set()
    for n in range(count):
        name = f"row-{n}-"
        row: Row = {
            "id": str(form.get(f"{name}id", "")),
            "standard_id": str(form.get(f"{name}standard_id", "")),
        }
        for f in section.fields:
            key = f"{name}{f.name}"
            if f.kind == "lines":
                if getlist:
                    chosen = getlist(key)
                else:  # saved answers: one ticked box is a string, several a list
                    given = form.get(key) or []
                    chosen = [given] if isinstance(given, str) else list(given)
                row[f.name] = [str(c) for c in chosen]
            elif f.kind == "date":
                row[f.name] = {
                    p: str(form.get(f"{key}-{p}", "")).strip() for p in ("day", "month", "year")
                }
            else:
                row[f.name] = str(form.get(key, "")).strip()
        if form.get(f"{name}remove"):
            removed.add(n)
        rows.append(row)
    return rows, removed


def blank_row(section: Section, rows: list[Row]) -> Row:
    """A new, empty line, with the next id of its kind (``outcome-4``)."""
    row: Row = {"id": next_id(section, [r["id"] for r in rows]), "standard_id": BY_CASEWORKER}
    for f in section.fields:
        row[f.name] = _shown(f, None)
    return row


def next_id(section: Section, taken: list[str]) -> str:
    if not section.numbered:
        return ""
    numbers = [int(i.rpartition("-")[2]) for i in taken if i.rpartition("-")[2].isdigit()]
    return f"{section.line}-{max(numbers, default=0) + 1}"


def row_label(section: Section, row: Row, n: int) -> str:
    """How a row is named in its legend and its errors: "Outcome 2", "Advice 1"."""
    if section.numbered and row.get("id"):
        return line_name(str(row["id"]))
    return f"{str(section.line).capitalize()} {n + 1}"


def anchor(f: Field, n: int) -> str:
    """The id of a field's first box (where the error summary links)."""
    return f"row-{n}-{f.name}" + ("-day" if f.kind == "date" else "")


@dataclass
class Built:
    """The section's content for the API, which row each line came from, and the problems
    found building it (by field anchor)."""

    content: list[dict[str, Any]]
    sent: list[int]
    errors: dict[str, str] = field(default_factory=dict)


def content_of(section: Section, rows: list[Row], removed: set[int]) -> Built:
    """The lines to send. Only what must be checked to build them is: a date that is not a
    date, a number that is not a number. The API judges the rest (an empty required field
    is left out, and its 422 names it)."""
    built = Built([], [])
    for n, row in enumerate(rows):
        if n in removed:
            continue
        line: dict[str, Any] = {}
        if section.numbered:
            line["id"] = row["id"]
            line["standard_id"] = row.get("standard_id") or BY_CASEWORKER
        for f in section.fields:
            value = row.get(f.name)
            problem = _into(line, f, value)
            if problem:
                built.errors[anchor(f, n)] = f"{row_label(section, row, n)}: {problem}"
        built.content.append(line)
        built.sent.append(n)
    return built


def _into(line: dict[str, Any], f: Field, value: Any) -> str | None:
    """Put the answer into the line as the API takes it; a problem's words, or None."""
    if f.kind == "lines":
        line[f.name] = list(value or [])
    elif f.kind == "flag":
        line[f.name] = value == "yes"
    elif f.kind == "date":
        parts = value or {}
        if not any(parts.values()):
            return None if f.optional else f.missing
        try:
            line[f.name] = date(
                int(parts["year"]), int(parts["month"]), int(parts["day"])
            ).isoformat()
        except (ValueError, KeyError):
            return f"{f.label.lower()} must be a real date"
    elif not value:
        if f.optional:
            line[f.name] = None
    elif f.kind == "number":
        try:
            number = float(value)
        except ValueError:
            return f"{f.label.lower()} must be a number, like 2 or 0.5"
        line[f.name] = int(number) if number.is_integer() else number
    else:
        line[f.name] = value
    return None
