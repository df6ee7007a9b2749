"""The bench's tables: numbers in cells, formatted for a terminal; the median of several runs'
tables cell by cell (`--runs 3`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from scripts.bench.stats import median

Cell = float | None
"""A figure, or None when it does not apply or was not measured (printed as a dash)."""
YES_NO = "yes/no"
"""A column format: 1 prints yes, 0 prints no (the median of yes, yes, no is yes)."""


@dataclass(frozen=True)
class Column:
    title: str
    format: str = ".1f"
    """A format spec for the number (``,.0f``, ``.2f``) or ``YES_NO``."""


@dataclass(frozen=True)
class Table:
    title: str
    label: str
    """The heading of the first column, which names each row."""
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, tuple[Cell, ...]], ...]
    notes: tuple[str, ...] = ()


def format_cell(value: Cell, column: Column) -> str:
    if value is None or math.isnan(value):
        return "-"
    if column.format == YES_NO:
        return "yes" if value >= 0.5 else "no"
    return format(value, column.format)


def render(table: Table) -> str:
    """The table as text: a title line, a header, one line per row, then its notes."""
    cells = [
        [format_cell(v, c) for v, c in zip(values, table.columns, strict=True)]
        for _, values in table.rows
    ]
    label_width = max([len(table.label), *(len(label) for label, _ in table.rows)])
    widths = [
        max([len(column.title), *(len(row[i]) for row in cells)]) + 2
        for i, column in enumerate(table.columns)
    ]
    lines = [
        table.title,
        "  "
        + table.label.ljust(label_width)
        + "".join(
            column.title.rjust(width) for column, width in zip(table.columns, widths, strict=True)
        ),
    ]
    for (label, _), row in zip(table.rows, cells, strict=True):
        lines.append(
            "  "
            + label.ljust(label_width)
            + "".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
        )
    lines.extend(f"  {note}" for note in table.notes)
    return "\n".join(lines)


def median_tables(runs: Sequence[Sequence[Table]]) -> list[Table]:
    """Each cell the median of that cell over ``runs`` (lists of tables of the same shape:
    titles, rows and columns match); the title says how many runs it summarises."""
    if not runs:
        return []
    first = runs[0]
    for other in runs[1:]:
        shapes = [(t.title, [r[0] for r in t.rows], t.columns) for t in other]
        if shapes != [(t.title, [r[0] for r in t.rows], t.columns) for t in first]:
            raise ValueError("runs printed tables of different shapes: cannot take medians")
    medians: list[Table] = []
    for index, table in enumerate(first):
        rows = tuple(
            (
                label,
                tuple(
                    median(run[index].rows[r][1][c] for run in runs)
                    for c in range(len(table.columns))
                ),
            )
            for r, (label, _) in enumerate(table.rows)
        )
        title = f"{table.title} (median of {len(runs)} runs)" if len(runs) > 1 else table.title
        medians.append(replace(table, title=title, rows=rows))
    return medians
