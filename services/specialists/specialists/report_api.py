"""``GET /v1/reports/capacity``: the commissioning report, as JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Role, allow, require_council
from shared.http import UNAVAILABLE, AsCaller
from specialists import report
from specialists.needs import weight

router = APIRouter(prefix="/v1", tags=["reports"], responses={**UNAVAILABLE, **AUTH_RESPONSES})


@router.get(
    "/reports/capacity",
    response_model=report.CapacityReport,
    responses={200: {"content": {"text/csv": {}}}},
    dependencies=[allow(Role.MANAGER)],
)
async def capacity_report(
    request: Request,
    caller: AsCaller,
    principal: CurrentPrincipal,
    local_authority: Annotated[str, Query(pattern=r"^E[0-9]{8}$", examples=["E08000035"])],
    format: Literal["json", "csv"] | None = None,
) -> report.CapacityReport | Response:
    """Per role and postcode district: capacity, allocated, waiting, the longest and median
    waits, where demand exceeds supply, and the gaps no team serves. CSV with
    ``Accept: text/csv`` or ``?format=csv``."""
    require_council(principal, [local_authority])
    async with caller.begin(isolation="repeatable_read") as uow:
        entries = await uow.conn.fetch(
            """SELECT specialism, districts, capacity FROM specialists
               WHERE active AND $1 = ANY (councils)""",
            local_authority,
        )
        allocations = await uow.conn.fetch(
            """SELECT role, coalesce(postcode_district, '?') AS district,
                      CASE WHEN status = 'active' THEN weight ELSE 0 END AS weight,
                      extract(epoch FROM created_at - needed_since) / 86400 AS days
               FROM allocations WHERE local_authority = $1""",
            local_authority,
        )
        waiting = await uow.conn.fetch(
            """SELECT w.role, coalesce(n.postcode_district, '?') AS district, w.reason,
                      coalesce(n.track, 'support') AS track, n.primary_need,
                      extract(epoch FROM now() - w.since) / 86400 AS days
               FROM waitlist w LEFT JOIN referral_needs n ON n.referral_id = w.referral_id
               WHERE w.local_authority = $1""",
            local_authority,
        )
        uow.read("capacity_report", referral_id=None, local_authority=local_authority)
    built = report.build(
        local_authority,
        [(r["specialism"], list(r["districts"]), r["capacity"]) for r in entries],
        [(r["role"], r["district"], r["weight"], float(r["days"])) for r in allocations],
        [
            (r["role"], r["district"], r["reason"], weight(r["track"], r["primary_need"]), days)
            for r in waiting
            for days in [float(r["days"])]
        ],
    )
    if format == "csv" or (format is None and "text/csv" in request.headers.get("accept", "")):
        return Response(report.as_csv(built), media_type="text/csv; charset=utf-8")
    return built
