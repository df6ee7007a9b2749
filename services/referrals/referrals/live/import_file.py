"""An import file of live plans, CSV or JSON (``docs/live-plans.md``), read into rows, each with
where it came from so that every problem names its place in the file: ``line N`` and the
column for CSV (line 1 is the header), ``plans``, the item's index and the field for JSON.
Pure: the whole file is checked before anything is stored (all or nothing)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

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
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadFile("not UTF-8 text") from exc
    if content_type.split(";")[0].strip().lower() == "text/csv":
        items = _csv_items(text)
    else:
        items = _json_items(text)
    if len(items) > MAX_PLANS:
        raise BadFile(f"more than {MAX_PLANS} plans: bring them in a few files")
    if not items:
        raise BadFile("no plans in the file")
    rows: list[tuple[Place, LivePlanIn]] = []
    problems: list[Problem] = []
    for place, item in items:
        if isinstance(item, str):
            problems.append((place.at(("row",)), item))
            continue
        try:
            rows.append((place, LivePlanIn.model_validate(item)))
        except ValidationError as invalid:
            for error in invalid.errors():
                where = place.at(tuple(error["loc"]))
                problems.append((where, error["msg"]))
    return rows, problems


def _json_items(text: str) -> list[tuple[Place, dict[str, Any] | str]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadFile(f"not JSON: {exc.msg} (line {exc.lineno})") from exc
    plans = document.get("plans") if isinstance(document, dict) else None
    if not isinstance(plans, list):
        raise BadFile('a JSON object with a list "plans"')
    return [
        (Place(index=i), item if isinstance(item, dict) else "a plan is a JSON object")
        for i, item in enumerate(plans)
    ]


def _csv_items(text: str) -> list[tuple[Place, dict[str, Any] | str]]:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        raise BadFile(f"missing columns {missing}" if missing else f"unknown columns {unknown}")
    items: list[tuple[Place, dict[str, Any] | str]] = []
    for line, row in enumerate(reader, start=2):
        if None in row:
            items.append((Place(line=line), "more cells than columns"))
        else:
            items.append((Place(line=line), _nested(row)))
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
