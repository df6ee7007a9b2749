"""The workspace reads four services' audit trails as one: merged newest first, a page at a
time, with no entry shown twice or skipped when many share a time."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from web.audit.trail import Cursor, bounds, merge

SERVICES = ("referrals", "plans", "specialists", "notifications")
T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def _trails(seed: int) -> dict[str, list[dict[str, Any]]]:
    """Each service's trail (newest first): many entries at a few shared times, as one
    request's reads are."""
    rng = random.Random(seed)
    trails: dict[str, list[dict[str, Any]]] = {}
    for service in SERVICES:
        rows = [
            {"id": n, "at": T0 + timedelta(seconds=rng.choice((0, 1, 2, 5)))}
            for n in range(1, rng.randint(0, 40) + 1)
        ]
        # A trail's ids grow with its times (a later transaction inserts later).
        rows.sort(key=lambda r: (r["at"], r["id"]))
        for n, row in enumerate(rows, start=1):
            row["id"] = n
        trails[service] = sorted(rows, key=lambda r: (r["at"], r["id"]), reverse=True)
    return trails


def _api(
    trail: list[dict[str, Any]], to: datetime | None, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    """``GET /v1/audit`` as the services answer it (``to`` exclusive; ``before_id``)."""
    found = [
        {**e, "at": e["at"].isoformat()}
        for e in trail
        if to is None
        or e["at"] < to
        or (before_id is not None and e["at"] == to and e["id"] < before_id)
    ]
    return found[:limit]


def test_paging_through_the_merged_trail_shows_every_entry_once_newest_first() -> None:
    for seed in range(30):
        trails = _trails(seed)
        shown: list[tuple[str, int]] = []
        times: list[datetime] = []
        cursor: Cursor | None = None
        for _ in range(200):
            pages = {
                s: _api(trails[s], **bounds(cursor, s, SERVICES, None), limit=7) for s in SERVICES
            }
            entries, cursor = merge(pages, SERVICES, 6)
            assert len(entries) <= 6
            shown += [(e["service"], e["id"]) for e in entries]
            times += [e["at"] for e in entries]
            if cursor is None:
                break
            cursor = Cursor.decode(cursor.encode(), SERVICES)  # through the page's address
        every = {(s, e["id"]) for s in SERVICES for e in trails[s]}
        assert len(shown) == len(set(shown)) == len(every), seed
        assert set(shown) == every
        assert times == sorted(times, reverse=True)


def test_the_search_end_bounds_the_first_page_only() -> None:
    end = T0 + timedelta(days=1)
    assert bounds(None, "plans", SERVICES, end) == {"to": end, "before_id": None}
    cursor = Cursor(T0, "plans", 9)
    assert bounds(cursor, "plans", SERVICES, end) == {"to": T0, "before_id": 9}
    assert bounds(cursor, "referrals", SERVICES, end)["to"] > T0  # its entries at T0 come after
    assert bounds(cursor, "specialists", SERVICES, end) == {"to": T0, "before_id": None}


def test_an_address_that_is_not_a_cursor_is_none() -> None:
    for text in ("", "x~plans~1", f"{T0.isoformat()}~web~1", f"{T0.isoformat()}~plans~-1",
                 "2026-03-01T09:00:00~plans~1"):  # fmt: skip
        assert Cursor.decode(text, SERVICES) is None, text
    assert Cursor.decode(f"{T0.isoformat()}~plans~12", SERVICES) == Cursor(T0, "plans", 12)
