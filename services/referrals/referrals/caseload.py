"""The caseload (open referrals, nearest deadline first) and the timeliness report."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from referrals.api import invalid
from referrals.domain import Step
from referrals.ehc_schemas import CaseloadItem, CaseloadPage, Share, TimelinessReport
from referrals.intake import london_today
from referrals.reports import by_weeks_elapsed, share
from referrals.statutory import Stage
from shared.audit import Audit
from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Role, allow, require_council
from shared.events import Track
from shared.http import UNAVAILABLE, DbConnection

router = APIRouter(
    prefix="/v1", tags=["caseload and reports"], responses={**UNAVAILABLE, **AUTH_RESPONSES}
)

STATUSES = sorted({s.value for s in Step} | {s.value for s in Stage})


@router.get(
    "/referrals",
    response_model=CaseloadPage,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def list_referrals(
    conn: DbConnection,
    audit: Audit,
    status: Annotated[
        str | None,
        Query(max_length=40, description=f"A journey status or EHC stage: one of {STATUSES}"),
    ] = None,
    due_before: Annotated[
        date | None, Query(description="Only those with an open deadline before this day")
    ] = None,
    track: Track | None = None,
    include_closed: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CaseloadPage:
    """Referrals of the caller's councils, the nearest open deadline first (those without a
    clock last), a page at a time. EHC requests that have ended are left out unless
    ``include_closed``."""
    if status is not None and status not in STATUSES:
        raise invalid([(("status",), f"one of {STATUSES}")], where="query")
    rows = await conn.fetch(
        """SELECT r.id, r.track, r.status, e.stage AS ehc_stage, r.local_authority,
                  r.received_on, n.kind AS next_deadline, n.due_on AS next_due_on
           FROM referrals r
           LEFT JOIN ehc_requests e ON e.referral_id = r.id
           LEFT JOIN LATERAL (
               SELECT kind, due_on FROM deadlines d
               WHERE d.referral_id = r.id AND d.met_on IS NULL AND NOT d.cancelled
               ORDER BY due_on, kind LIMIT 1) n ON true
           WHERE ($1::text IS NULL OR r.status = $1 OR e.stage = $1)
             AND ($2::date IS NULL OR n.due_on < $2)
             AND ($3::text IS NULL OR r.track = $3)
             AND ($4 OR r.closed_at IS NULL)
           ORDER BY n.due_on NULLS LAST, r.received_on, r.id
           LIMIT $5 OFFSET $6""",
        status,
        due_before,
        track,
        include_closed,
        limit + 1,
        offset,
    )
    items = [CaseloadItem.model_validate(dict(r)) for r in rows[:limit]]
    async with conn.transaction():
        for item in items:
            await audit.record(
                conn, "read", "caseload", referral_id=item.id,
                local_authority=item.local_authority,
            )  # fmt: skip
    return CaseloadPage(items=items, next_offset=offset + limit if len(rows) > limit else None)


@router.get(
    "/reports/timeliness",
    response_model=TimelinessReport,
    dependencies=[allow(Role.MANAGER)],
)
async def timeliness_report(
    conn: DbConnection,
    principal: CurrentPrincipal,
    audit: Audit,
    local_authority: Annotated[str, Query(pattern=r"^E[0-9]{8}$", examples=["E08000035"])],
    year: Annotated[int, Query(ge=2014, le=2100)],
) -> TimelinessReport:
    """A calendar year as SEN2 counts it: EHC requests received and refused, new plans and
    the share issued within 20 weeks with and without exception cases, and the requests
    still open at the year's end (or today) by weeks since the request."""
    require_council(principal, [local_authority])
    first, last = date(year, 1, 1), date(year, 12, 31)
    as_at = min(last, london_today())
    async with conn.transaction(isolation="repeatable_read"):
        counts = await conn.fetchrow(
            """SELECT count(*) AS requests,
                      count(*) FILTER (WHERE assessment_decision = 'refuse') AS refused,
                      count(*) FILTER (WHERE plan_decision = 'not_issue') AS not_issued
               FROM ehc_requests
               WHERE local_authority = $1 AND requested_on BETWEEN $2 AND $3""",
            local_authority,
            first,
            last,
        )
        plans = await conn.fetch(
            """SELECT e.requested_on, e.final_issued_on, EXISTS (
                      SELECT 1 FROM statutory_exceptions x WHERE x.referral_id = e.referral_id
                   ) AS with_exception
               FROM ehc_requests e
               WHERE e.local_authority = $1 AND e.final_issued_on BETWEEN $2 AND $3""",
            local_authority,
            first,
            last,
        )
        still_open = await conn.fetch(
            """SELECT requested_on FROM ehc_requests
               WHERE local_authority = $1 AND requested_on <= $2
                 AND NOT coalesce(assessment_decision = 'refuse' AND assessment_decided_on <= $2,
                                  false)
                 AND NOT coalesce(plan_decision = 'not_issue' AND plan_decided_on <= $2, false)
                 AND NOT coalesce(final_issued_on <= $2, false)""",
            local_authority,
            as_at,
        )
        await audit.record(
            conn, "read", "timeliness-report", referral_id=None, local_authority=local_authority
        )
    assert counts is not None  # an aggregate always has its row
    issued = [(p["requested_on"], p["final_issued_on"]) for p in plans]
    plain = [(p["requested_on"], p["final_issued_on"]) for p in plans if not p["with_exception"]]
    return TimelinessReport(
        local_authority=local_authority,
        year=year,
        requests_received=counts["requests"],
        refusals_to_assess=counts["refused"],
        decisions_not_to_issue=counts["not_issued"],
        final_plans_issued=len(plans),
        including_exceptions=_share(issued),
        excluding_exceptions=_share(plain),
        open_as_at=as_at,
        open_by_weeks_elapsed=by_weeks_elapsed((r["requested_on"] for r in still_open), as_at),
    )


def _share(plans: list[tuple[date, date]]) -> Share:
    within, total, percent = share(plans)
    return Share(within_20_weeks=within, plans=total, percent=percent)
