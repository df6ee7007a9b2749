"""The caseload (open referrals, nearest deadline first, filtered and searched) and the
timeliness report: each read in one unit of work as the caller, which audits it."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request

from referrals import caseload_query
from referrals.caseload_query import Filters, Search
from referrals.domain import Step
from referrals.ehc_schemas import (
    CaseloadFilters,
    CaseloadItem,
    CaseloadPage,
    CaseloadSearch,
    Share,
    TimelinessReport,
)
from referrals.reports import by_weeks_elapsed, share
from referrals.state import state_of
from referrals.statutory import Stage
from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Role, allow, require_council
from shared.dates import london_today
from shared.db import Connection
from shared.http import UNAVAILABLE, AsCaller, invalid

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
    request: Request, caller: AsCaller, filters: Annotated[CaseloadFilters, Query()]
) -> CaseloadPage:
    """Referrals of the caller's councils, with the child's name and date of birth, the
    nearest open deadline first (those without a clock last), a page at a time. EHC requests
    that have ended are left out unless ``include_closed``. Each referral listed is audited
    (a read of the caseload)."""
    async with caller.begin() as uow:
        page = await _page(request, uow.conn, filters, None, where="query")
        uow.read_each("caseload", [(item.id, item.local_authority) for item in page.items])
    return page


@router.post(
    "/referrals/search",
    response_model=CaseloadPage,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def search_referrals(
    request: Request, body: CaseloadSearch, caller: AsCaller
) -> CaseloadPage:
    """The caseload's referrals found by reference, NHS number or name (with the caseload's
    filters, if any), in the caseload's order, a page at a time. The text is in the body,
    never the URL. Audited: a search by the caller (in each of their councils), and each
    referral it returned; never the text."""
    async with caller.begin() as uow:
        page = await _page(request, uow.conn, body, Search.of(body.text), where="body")
        searched: list[tuple[UUID | None, str]] = [(None, c) for c in caller.councils]
        found = [(item.id, item.local_authority) for item in page.items]
        uow.read_each("caseload", [*searched, *found], action="search")
    return page


async def _page(
    request: Request,
    conn: Connection,
    filters: CaseloadFilters,
    search: Search | None,
    *,
    where: str,
) -> CaseloadPage:
    if filters.status is not None and filters.status not in STATUSES:
        raise invalid([(("status",), f"one of {STATUSES}")], where=where)
    rows, more = await caseload_query.caseload(
        conn,
        Filters(
            status=filters.status,
            due_before=filters.due_before,
            track=filters.track,
            deadlines=frozenset(filters.deadline),
            team=filters.team,
            waiting=filters.waiting,
            needs_triage=filters.needs_triage,
            include_closed=filters.include_closed,
        ),
        today=london_today(),
        at_risk_days=state_of(request).at_risk_days,
        limit=filters.limit,
        offset=filters.offset,
        search=search,
    )
    return CaseloadPage(
        items=[CaseloadItem.model_validate(dict(r)) for r in rows],
        next_offset=filters.offset + filters.limit if more else None,
    )


@router.get(
    "/reports/timeliness",
    response_model=TimelinessReport,
    dependencies=[allow(Role.MANAGER)],
)
async def timeliness_report(
    caller: AsCaller,
    principal: CurrentPrincipal,
    local_authority: Annotated[str, Query(pattern=r"^E[0-9]{8}$", examples=["E08000035"])],
    year: Annotated[int, Query(ge=2014, le=2100)],
) -> TimelinessReport:
    """A calendar year as SEN2 counts it: EHC requests received and refused, new plans and
    the share issued within 20 weeks with and without exception cases, and the requests
    still open at the year's end (or today) by weeks since the request."""
    require_council(principal, [local_authority])
    first, last = date(year, 1, 1), date(year, 12, 31)
    as_at = min(last, london_today())
    async with caller.begin(isolation="repeatable_read") as uow:
        conn = uow.conn
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
        uow.read("timeliness-report", referral_id=None, local_authority=local_authority)
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
