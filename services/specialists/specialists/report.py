"""The commissioning report: per role and postcode district, supply against demand. Pure.

- ``capacity``: weighted places of the active entries serving the district (an entry serving
  several districts counts in each; the role's ``all`` row counts it once);
- ``allocated``: weighted places taken by active allocations of children of the district;
- ``waiting``: children waiting because every team of the kind is full; ``no_team``: children
  waiting because no team of the kind serves the council (a gap to commission);
- ``longest_wait_days``: the longest anyone waiting now has waited;
- ``median_wait_days``: the median time from plan to allocation of the allocations made;
- ``demand_exceeds_supply``: children wait there, or allocated and waiting places exceed
  the capacity.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import BaseModel

ALL = "all"


class CapacityRow(BaseModel):
    role: str
    district: str
    capacity: int
    allocated: int
    waiting: int
    no_team: int
    longest_wait_days: float | None
    median_wait_days: float | None
    demand_exceeds_supply: bool


class CapacityReport(BaseModel):
    local_authority: str
    rows: list[CapacityRow]
    gaps: list[str]
    """Roles children need where no team of the kind serves the council."""


@dataclass
class _Cell:
    capacity: int = 0
    allocated: int = 0
    waiting: int = 0
    waiting_weight: int = 0
    no_team: int = 0
    waits_now: list[float] = field(default_factory=list)
    waited: list[float] = field(default_factory=list)


def build(
    local_authority: str,
    entries: Iterable[tuple[str, list[str], int]],
    allocations: Iterable[tuple[str, str, int, float]],
    waiting: Iterable[tuple[str, str, str, int, float]],
) -> CapacityReport:
    """``entries``: (role, districts, capacity); ``allocations``: (role, district, weight,
    days waited); ``waiting``: (role, district, reason, weight, days so far)."""
    cells: dict[tuple[str, str], _Cell] = defaultdict(_Cell)
    for role, districts, capacity in entries:
        for district in districts:
            cells[role, district].capacity += capacity
        cells[role, ALL].capacity += capacity
    for role, district, weight, days in allocations:
        for key in ((role, district), (role, ALL)):
            cells[key].allocated += weight
            cells[key].waited.append(days)
    for role, district, reason, weight, days in waiting:
        for key in ((role, district), (role, ALL)):
            cell = cells[key]
            if reason == "no_team":
                cell.no_team += 1
            else:
                cell.waiting += 1
                cell.waiting_weight += weight
            cell.waits_now.append(days)
    rows = [
        CapacityRow(
            role=role,
            district=district,
            capacity=c.capacity,
            allocated=c.allocated,
            waiting=c.waiting,
            no_team=c.no_team,
            longest_wait_days=round(max(c.waits_now), 1) if c.waits_now else None,
            median_wait_days=round(statistics.median(c.waited), 1) if c.waited else None,
            demand_exceeds_supply=c.waiting + c.no_team > 0
            or c.allocated + c.waiting_weight > c.capacity,
        )
        for (role, district), c in sorted(cells.items(), key=lambda i: (i[0][0], _order(i[0][1])))
    ]
    gaps = sorted({r.role for r in rows if r.district == ALL and r.no_team})
    return CapacityReport(local_authority=local_authority, rows=rows, gaps=gaps)


def _order(district: str) -> tuple[int, str, int, str]:
    """``all`` first, then districts in postcode order (LS2 before LS10)."""
    if district == ALL:
        return (0, "", 0, "")
    area = district[: len(district) - len(district.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))]
    digits = "".join(ch for ch in district[len(area) :] if ch.isdigit())
    return (1, area, int(digits or 0), district)


def as_csv(report: CapacityReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = list(CapacityRow.model_fields)
    writer.writerow(["local_authority", *columns])
    for row in report.rows:
        data = row.model_dump()
        writer.writerow(
            [report.local_authority, *("" if data[c] is None else data[c] for c in columns)]
        )
    return out.getvalue()
