"""An import file of open requests, CSV or JSON (``docs/live-plans.md``), read into rows, each
with where it came from: ``line N`` and the column for CSV (line 1 is the header),
``requests``, the item's index and the field for JSON. The same shape of file as the plans
import (``referrals.live.import_file``), with its own columns. Pure: the whole file is checked
before anything is stored (all or nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from referrals.live.import_file import Location, Problem, read_file
from referrals.live.open_request_row import OpenRequestIn

MAX_REQUESTS = 10_000
"""Rows in one file, as for plans."""

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
    "requested_by": ("requested_by",),
    "received_on": ("received_on",),
    "needs": ("needs",),
    "assessment_decision": ("assessment_decision",),
    "assessment_decided_on": ("assessment_decided_on",),
    "refusal_reason": ("refusal_reason",),
    "advice_kinds": ("advice_kinds",),
    "advice_requested_on": ("advice_requested_on",),
    "advice_received_on": ("advice_received_on",),
    "advice_received": ("advice_received",),
    "plan_decision": ("plan_decision",),
    "plan_decided_on": ("plan_decided_on",),
    "not_issue_reason": ("not_issue_reason",),
    "draft_issued_on": ("draft_issued_on",),
    "comments_due": ("comments_due",),
}
"""Each CSV column and the field it fills (a family whose messages go by letter: JSON)."""
REQUIRED = (
    "case_id", "local_authority", "child_given_name", "child_family_name", "child_date_of_birth",
    "child_postcode", "contact_name", "requested_by", "received_on", "needs",
)  # fmt: skip
LISTS = frozenset({"needs", "advice_kinds"})
"""Columns of several values, split on spaces."""
PAIRS = frozenset({"advice_received"})
"""Columns of ``key:value`` pairs split on spaces (``medical:2026-10-01 educational:...``)."""


@dataclass(frozen=True)
class Place:
    """Where a row is in its file: a CSV line, or a JSON item's index."""

    line: int | None = None
    index: int | None = None

    def at(self, field: tuple[str | int, ...]) -> Location:
        """The location of ``field`` (as ``OpenRequestIn`` names it) in the file."""
        if self.line is None:
            return ("requests", self.index or 0, *field)
        return (f"line {self.line}", _column_of(field))

    @property
    def number(self) -> int:
        """The row's order in the file."""
        return self.line if self.line is not None else self.index or 0


def _column_of(field: tuple[str | int, ...]) -> str:
    for column, filled in COLUMNS.items():
        if field[: len(filled)] == filled:
            return column
    return ".".join(str(f) for f in field) or "row"


def read(body: bytes, content_type: str) -> tuple[list[tuple[Place, OpenRequestIn]], list[Problem]]:
    """Every well-formed row, and every problem of shape (a row's place and field, and why)."""
    return read_file(
        body, content_type, OpenRequestIn, Place, kind="requests", one="a request",
        columns=COLUMNS, required=REQUIRED, nested=_nested, limit=MAX_REQUESTS,
    )  # fmt: skip


def _nested(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as the JSON item it stands for: empty cells left out, lists split on spaces."""
    item: dict[str, Any] = {"child": {}, "family_contact": {}}
    for column, value in row.items():
        value = (value or "").strip()
        if not value:
            continue
        field = COLUMNS[column]
        if column in LISTS:
            item[column] = value.split()
        elif column in PAIRS:  # a pair without its colon: a key with no value, refused
            item[column] = dict(pair.partition(":")[::2] for pair in value.split())
        elif len(field) == 2:  # the child, the contact
            item.setdefault(str(field[0]), {})[str(field[1])] = value
        else:
            item[str(field[0])] = value
    return item
