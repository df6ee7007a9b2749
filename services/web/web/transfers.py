"""``/caseload/phase-transfers``: a year's phase transfer cohort (Reg 18) and what is late:
each child moving phase in that September, the last legal day for the amended plan naming the
next school or college, the review held, the plan issued and the setting it names. Caseworkers
and managers, for the councils they work for; a GET form of the year (no JavaScript)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shared.dates import london_today
from web import pages
from web.backends import Backends
from web.signin import User, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Caseworker = Annotated[User, with_role("caseworker", "manager")]

KINDS = {
    "early_years_to_primary": "Early years to primary or infant school",
    "infant_to_junior": "Infant to junior school",
    "primary_to_secondary": "Primary to secondary (or middle) school",
    "secondary_to_post_16": "Secondary school to post-16",
}
STATES = {
    "issued": ("Issued in time", "green"),
    "issued_late": ("Issued late", "orange"),
    "missed": ("Late: not issued", "red"),
    "at_risk": ("At risk", "yellow"),
    "in_progress": ("In progress", "blue"),
}
"""Each state's words and tag colour, in the order the counts are shown."""


def cohort_year_now(today: date) -> int:
    """The cohort moving this coming September (as referrals' API defaults to)."""
    return today.year if today < date(today.year, 9, 1) else today.year + 1


@router.get("/caseload/phase-transfers")
async def phase_transfers(request: Request, user: Caseworker) -> Response:
    now = cohort_year_now(london_today())
    years = list(range(now - 2, now + 4))
    asked = request.query_params.get("year") or str(now)
    year = int(asked) if asked.isdigit() and int(asked) in years else None
    context: dict[str, Any] = {"years": years, "year": year, "kinds": KINDS, "states": STATES}
    if year is None:
        message = f"Select a year from {years[0]} to {years[-1]}"
        return pages.render(
            request,
            "caseworker/phase_transfers.html",
            status_code=422,
            errors=[{"text": message, "href": "#year"}],
            year_error=message,
            **context,
        )
    backends: Backends = state_of(request).backends
    cohort = await backends.get(
        "referrals",
        "/v1/caseload/phase-transfers",
        token=user.access_token,
        params={"year": year},
    )
    return pages.render(request, "caseworker/phase_transfers.html", cohort=cohort, **context)
