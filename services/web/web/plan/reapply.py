"""Reapplying a caseworker's change on top of someone else's: a three-way merge of one
section, answer by answer. Pure.

``base`` is the section as the caseworker read it, ``theirs`` as it is now (someone saved
first), ``mine`` as the caseworker posted it. Where only one of them changed an answer, that
change stands; where both changed it differently, the caseworker's stands and a clash says
so (they see the other version beside the form and decide). A line only one of them added is
kept; a line removed by one and left alone by the other goes; a line removed by one and
changed by the other is kept, with a clash. Lines are matched by their id (``outcome-2``);
advice lines (section K), which have none, by their whole value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from web.plan.lines import Row, next_id, row_label
from web.plan.sections import Section


@dataclass
class Reapplied:
    """The answers to show in the form, and where both changed the same thing."""

    rows: list[Row] = field(default_factory=list)
    text: str = ""
    clashes: list[str] = field(default_factory=list)


def reapplied_text(base: str, theirs: str, mine: str) -> Reapplied:
    if mine == base:
        return Reapplied(text=theirs)
    clashes = (
        ["You both changed the words: yours are in the form"] if theirs not in (base, mine) else []
    )
    return Reapplied(text=mine, clashes=clashes)


def reapplied_rows(
    section: Section, base: list[Row], theirs: list[Row], mine: list[Row]
) -> Reapplied:
    key = _key(section)
    base_by = {key(r): r for r in base}
    mine_by = {key(r): r for r in mine}
    theirs_keys = {key(r) for r in theirs}
    out = Reapplied()
    for t in theirs:
        b, m = base_by.get(key(t)), mine_by.get(key(t))
        name = row_label(section, t, len(out.rows))
        if b is None or (m is None and t == b):
            if b is None:
                out.rows.append(t)  # theirs, new (a line of mine with its id is renumbered below)
            continue  # else: I removed it, they left it alone
        if m is None:
            out.rows.append(t)
            out.clashes.append(f"{name}: you removed it, they changed it, so it is still here")
            continue
        out.rows.append(_answers(section, name, b, t, m, out.clashes))
    for m in mine:
        k = key(m)
        if k in base_by:
            if k not in theirs_keys and m != base_by[k]:
                out.rows.append(m)
                name = row_label(section, m, len(out.rows) - 1)
                out.clashes.append(f"{name}: they removed it, you changed it, so it is still here")
            continue
        if k in theirs_keys:  # we both added a line with this id: mine takes the next one
            if not section.numbered:
                continue  # the same advice, added by both
            m = {**m, "id": next_id(section, [r["id"] for r in out.rows + mine])}
        out.rows.append(m)
    return out


def _answers(section: Section, name: str, b: Row, t: Row, m: Row, clashes: list[str]) -> Row:
    merged: Row = {}
    labels = {f.name: f.label for f in section.fields}
    for answer in dict.fromkeys([*t, *m]):
        bv, tv, mv = b.get(answer), t.get(answer), m.get(answer)
        if mv == bv:
            merged[answer] = tv
            continue
        merged[answer] = mv
        if tv not in (bv, mv):
            what = labels.get(answer, answer).lower()
            clashes.append(f"{name}: you both changed {what}: yours is in the form")
    return merged


def _key(section: Section) -> Any:
    if section.numbered:
        return lambda row: row.get("id")
    return lambda row: json.dumps(
        {k: v for k, v in row.items() if k not in ("id", "standard_id")}, sort_keys=True
    )
