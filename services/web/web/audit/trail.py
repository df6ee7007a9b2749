"""Four services' audit trails read as one, newest first, a page at a time. Pure.

Each service pages its own trail by ``(at, id)`` (``GET /v1/audit``: ``to`` and
``before_id``). Merged, entries are ordered by ``(at, service, id)``, newest first; the last
entry shown is the cursor of the next page, and tells each service where its part of that
page starts:

- the cursor's own service: after the cursor's entry (``to`` = its time, ``before_id``);
- a service that sorts before it: its entries at the cursor's time too (they come later in
  the merged order: ``to`` = a microsecond after, the trail's precision);
- a service that sorts after it: its entries before the cursor's time only.

So no entry is shown twice or skipped, even when one request audited many at one time.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

ONE_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Cursor:
    """The last entry shown: where the next page starts."""

    at: datetime
    service: str
    id: int

    def encode(self) -> str:
        """For the next page's address: a time, a service and a number; no personal data."""
        return f"{self.at.isoformat()}~{self.service}~{self.id}"

    @classmethod
    def decode(cls, text: str, services: Sequence[str]) -> Cursor | None:
        """None for anything that is not a cursor this page made."""
        parts = text.split("~")
        if len(parts) != 3 or parts[1] not in services or not parts[2].isdigit():
            return None
        try:
            at = datetime.fromisoformat(parts[0])
        except ValueError:
            return None
        if at.tzinfo is None:
            return None
        return cls(at, parts[1], int(parts[2]))


def bounds(
    cursor: Cursor | None, service: str, services: Sequence[str], to: datetime | None
) -> dict[str, Any]:
    """The ``to`` and ``before_id`` that ask ``service`` for its part of the page after
    ``cursor`` (``to``: the search's own end, which every entry shown is before)."""
    if cursor is None:
        return {"to": to, "before_id": None}
    mine, theirs = services.index(service), services.index(cursor.service)
    if mine == theirs:
        return {"to": cursor.at, "before_id": cursor.id}
    if mine < theirs:
        return {"to": cursor.at + ONE_TICK, "before_id": None}
    return {"to": cursor.at, "before_id": None}


def merge(
    pages: Mapping[str, Sequence[Mapping[str, Any]]], services: Sequence[str], size: int
) -> tuple[list[dict[str, Any]], Cursor | None]:
    """The newest ``size`` entries of the services' pages (each newest first, as the API
    answers), each with its ``service``, and the next page's cursor (None on the last page:
    each service was asked for ``size + 1``, so one more anywhere means a next page)."""

    def key(entry: dict[str, Any]) -> tuple[datetime, int, int]:
        return (entry["at"], services.index(entry["service"]), entry["id"])

    streams = [
        [{**e, "at": _time(e["at"]), "service": name} for e in pages.get(name, ())]
        for name in services
    ]
    merged = list(heapq.merge(*streams, key=key, reverse=True))
    shown = merged[:size]
    if len(merged) <= size or not shown:
        return shown, None
    last = shown[-1]
    return shown, Cursor(last["at"], last["service"], last["id"])


def _time(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
