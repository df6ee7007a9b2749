"""An import file of live plans, CSV or JSON (``docs/live-plans.md``), read into rows, each with
where it came from so that every problem names its place in the file: ``line N`` and the
column for CSV (line 1 is the header), ``plans``, the item's index and the field for JSON.
Pure: the whole file is checked before anything is stored (all or nothing)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from referrals.live.plan_row import LivePlanIn

MAX_PLANS = 10_000
"""Rows in one file: a large council's plans come in a few files."""

COLUMNS: dict[str, tuple[str | int, ...]] = {
    "case_id": ("case_id",),
    "local_authority": ("local_authority",),
    "child_given_name": ("child", "given_name"),
    "child_family_name": ("child", "family_name"),
    "child_date_of_birth": ("child", "date_of_birth"),
    "child_nhs_number": ("child", "nhs_number"),
    "child_postcode": ("child", "postcode"),
    "contact_name": ("family_contact", "name"),
    "contact_email": ("family_contact", "email"),
    "contact_phone": ("family_contact", "phone"),
    "contact_preferred_channel": ("family_contact", "preferred_channel"),
    "needs": ("needs",),
    "issued_on": ("issued_on",),
    "last_reviewed_on": ("last_reviewed_on",),
    "next_review_on": ("next_review_on",),
    "setting_urn": ("setting_urn",),
    "setting_ukprn": ("setting_ukprn",),
    "review_meeting_on": ("open_steps",),
    "transfer_year": ("phase_transfer", "year"),
    "transfer_kind": ("phase_transfer", "kind"),
}
"""Each CSV column and the field it fills. A CSV row has no postal address: a family whose
messages go by letter is brought in with JSON."""
REQUIRED = (
    "case_id", "local_authority", "child_given_name", "child_family_name", "child_date_of_birth",
    "child_postcode", "contact_name", "needs", "issued_on",
)  # fmt: skip

Location = tuple[str | int, ...]
Problem = tuple[Location, str]


@dataclass(frozen=True)
class Place:
    """Where a row is in its file: a CSV line, or a JSON item's index."""

    line: int | None = None
    index: int | None = None

    def at(self, field: tuple[str | int, ...]) -> Location:
        """The location of ``field`` (as ``LivePlanIn`` names it) in the file."""
        if self.line is None:
            return ("plans", self.index or 0, *field)
        return (f"line {self.line}", _column_of(field))


def _column_of(field: tuple[str | int, ...]) -> str:
    for column, filled in COLUMNS.items():
        if field[: len(filled)] == filled:
            return column
    return ".".join(str(f) for f in field) or "row"


class BadFile(ValueError):
    """The file as a whole cannot be read (422 naming it)."""


def read(body: bytes, content_type: str) -> tuple[list[tuple[Place, LivePlanIn]], list[Problem]]:
    """Every well-formed row, and every problem of shape (a row's place and field, and why)."""
    return read_file(
        body, content_type, LivePlanIn, Place, kind="plans", one="a plan",
        columns=COLUMNS, required=REQUIRED, nested=_nested, limit=MAX_PLANS,
    )  # fmt: skip


P = TypeVar("P", bound="Placed")
M = TypeVar("M", bound=BaseModel)


class Placed(Protocol):
    """A row's place in its file (each file format has its own: its list's name, its columns)."""

    def at(self, field: Location) -> Location: ...


def read_file(
    body: bytes,
    content_type: str,
    model: type[M],
    place: Callable[..., P],
    *,
    kind: str,
    one: str,
    columns: Mapping[str, object],
    required: Sequence[str],
    nested: Callable[[dict[str, str]], dict[str, Any]],
    limit: int,
) -> tuple[list[tuple[P, M]], list[Problem]]:
    """A CSV or JSON import file (the plans', or the open requests') read into ``model`` rows,
    each with its ``place``, and every problem of shape: ``kind`` is the JSON list's name
    (``plans``), ``one`` an item in words (``a plan``), ``nested`` a CSV row as its JSON item."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadFile("not UTF-8 text") from exc
    if content_type.split(";")[0].strip().lower() == "text/csv":
        items = _csv_items(text, place, columns, required, nested)
    else:
        items = _json_items(text, place, kind, one)
    if len(items) > limit:
        raise BadFile(f"more than {limit} {kind}: bring them in a few files")
    if not items:
        raise BadFile(f"no {kind} in the file")
    rows: list[tuple[P, M]] = []
    problems: list[Problem] = []
    for at, item in items:
        if isinstance(item, str):
            problems.append((at.at(("row",)), item))
            continue
        try:
            rows.append((at, model.model_validate(item)))
        except ValidationError as invalid:
            for error in invalid.errors():
                problems.append((at.at(tuple(error["loc"]) or ("row",)), error["msg"]))
    return rows, problems


def _json_items(
    text: str, place: Callable[..., P], kind: str, one: str
) -> list[tuple[P, dict[str, Any] | str]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadFile(f"not JSON: {exc.msg} (line {exc.lineno})") from exc
    listed = document.get(kind) if isinstance(document, dict) else None
    if not isinstance(listed, list):
        raise BadFile(f'a JSON object with a list "{kind}"')
    return [
        (place(index=i), item if isinstance(item, dict) else f"{one} is a JSON object")
        for i, item in enumerate(listed)
    ]


def _csv_items(
    text: str,
    place: Callable[..., P],
    columns: Mapping[str, object],
    required: Sequence[str],
    nested: Callable[[dict[str, str]], dict[str, Any]],
) -> list[tuple[P, dict[str, Any] | str]]:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in columns]
    if missing or unknown:
        raise BadFile(f"missing columns {missing}" if missing else f"unknown columns {unknown}")
    items: list[tuple[P, dict[str, Any] | str]] = []
    for line, row in enumerate(reader, start=2):
        if None in row:
            items.append((place(line=line), "more cells than columns"))
        else:
            items.append((place(line=line), nested(row)))
    return items


def _nested(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as the JSON item it stands for: empty cells left out, needs split on
    spaces, the review meeting as the open step it is."""
    item: dict[str, Any] = {"child": {}, "family_contact": {}}
    for column, value in row.items():
        value = (value or "").strip()
        if not value:
            continue
        field = COLUMNS[column]
        if column == "needs":
            item["needs"] = value.split()
        elif column == "review_meeting_on":
            item["open_steps"] = [{"step": "annual_review_meeting", "on": value}]
        elif len(field) == 2:  # the child, the contact, the phase transfer
            item.setdefault(str(field[0]), {})[str(field[1])] = value
        else:
            item[str(field[0])] = value
    return item
