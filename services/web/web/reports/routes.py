"""``/reports``: the timeliness of EHC plans for a year, as the DfE's SEN2 return counts it,
with a chart; and the specialists' capacity against demand, with the gaps no team fills.
Managers only, for the councils they act for; both reports at once."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shared.dates import london_today
from web import councils, pages, words
from web.backends import Backends, together
from web.reports.chart import BarChart, bar_chart, weeks_band
from web.signin import User, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Manager = Annotated[User, with_role("manager")]

FIRST_YEAR = 2014
"""The reforms' first year (Children and Families Act 2014): the report has nothing before."""


@router.get("/reports")
async def reports(request: Request, user: Manager) -> Response:
    council = councils.chosen(request, user)
    this_year = london_today().year
    years = list(range(this_year, FIRST_YEAR - 1, -1))
    asked = request.query_params.get("year") or str(this_year)
    year = int(asked) if asked.isdigit() and int(asked) in years else None
    context: dict[str, Any] = {
        "councils": councils.choices(request, user),
        "council": council,
        "council_name": councils.name(request, council),
        "years": years,
        "year": year,
        "words": words,
    }
    if year is None:
        message = f"Select a year from {FIRST_YEAR} to {this_year}"
        return pages.render(
            request,
            "manager/reports.html",
            status_code=422,
            errors=[{"text": message, "href": "#year"}],
            year_error=message,
            **context,
        )
    backends: Backends = state_of(request).backends
    timeliness, capacity = await together(
        backends.get(
            "referrals",
            "/v1/reports/timeliness",
            token=user.access_token,
            params={"local_authority": council, "year": year},
        ),
        backends.get(
            "specialists",
            "/v1/reports/capacity",
            token=user.access_token,
            params={"local_authority": council},
        ),
    )
    return pages.render(
        request,
        "manager/reports.html",
        timeliness=timeliness,
        open_bands=_open_bands(timeliness),
        open_chart=_open_chart(timeliness),
        share_chart=_share_chart(timeliness),
        capacity=_capacity(capacity),
        share_words=share_words,
        **context,
    )


def _open_bands(report: dict[str, Any]) -> list[tuple[str, int]]:
    return [(weeks_band(band), count) for band, count in report["open_by_weeks_elapsed"].items()]


def _open_chart(report: dict[str, Any]) -> BarChart | None:
    bands = _open_bands(report)
    total = sum(count for _, count in bands)
    if not total:
        return None
    on = pages.long_date(report["open_as_at"])
    return bar_chart(
        f"Requests still open on {on}, by weeks since the request",
        [(band, count, str(count)) for band, count in bands],
        described=f"A bar chart of the {total} EHC needs assessment requests still open on "
        f"{on}, by whole weeks since the council received each request. The final plan is "
        "due by week 20.",
    )


def share_words(share: dict[str, Any]) -> str:
    """``23 of 50 (46.0%)``: the new plans issued within 20 weeks."""
    if not share["plans"]:
        return "No new plans"
    return f"{share['within_20_weeks']} of {share['plans']} ({share['percent']:.1f}%)"


def _share_chart(report: dict[str, Any]) -> BarChart | None:
    if not report["final_plans_issued"]:
        return None
    shares = (
        ("Including exceptions", report["including_exceptions"]),
        ("Excluding exceptions", report["excluding_exceptions"]),
    )
    return bar_chart(
        f"New EHC plans issued within 20 weeks in {report['year']}",
        [
            (label, share["percent"] or 0, f"{share['percent']:.1f}%" if share["plans"] else "none")
            for label, share in shares
        ],
        described=f"A bar chart of the share of the {report['final_plans_issued']} new EHC "
        f"plans issued in {report['year']} that were issued within 20 weeks of the request, "
        "with every plan, and without the plans that had an exception to the time limits.",
        scale=100,
    )


def _capacity(report: dict[str, Any]) -> dict[str, Any]:
    """The report as the page shows it: each kind of specialist across the council first,
    then only the postcode districts where demand exceeds supply (where to commission)."""
    rows = report["rows"]
    return {
        "roles": [r for r in rows if r["district"] == "all"],
        "pressed": [r for r in rows if r["district"] != "all" and r["demand_exceeds_supply"]],
        "gaps": [
            (
                role,
                next(
                    (r["no_team"] for r in rows if r["role"] == role and r["district"] == "all"), 0
                ),
            )
            for role in report["gaps"]
        ],
    }
