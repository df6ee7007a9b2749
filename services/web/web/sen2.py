"""``/sen2``: the person-level SEN2 return for a census date (``docs/sen2.md``). A manager
chooses the date (GOV.UK's date input, a GET form: a date is no child's data), sees the year's
totals and each child's validation problems from referrals' ``format=json`` answer (ids only:
each links to the child's referral page, where a caseworker corrects it), and downloads the
return as XML or CSV: the service's own answer passed on as it arrives, with its content type
and a file name, never held here. Managers only, for the councils they act for."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask

from shared.dates import london_today
from web import councils, forms, pages
from web.backends import Backends, NotFound
from web.signin import User, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Manager = Annotated[User, with_role("manager")]

FIRST_YEAR = 2015
"""The first census after the reforms (Children and Families Act 2014)."""
CENSUS_DATE = forms.Question(
    "census_date",
    "Census date",
    "date",
    hint="The return's reference date, for example 21 1 2027. It counts the calendar year "
    "before it.",
)
TOTALS = (
    ("requests_received", "Requests for an EHC needs assessment"),
    ("refusals_to_assess", "Refused an assessment"),
    ("assessments_agreed", "Assessments agreed"),
    ("decisions_not_to_issue", "Assessed, and no plan issued"),
    ("final_plans_issued", "New EHC plans issued"),
    ("within_20_weeks_including_exceptions", "Issued within 20 weeks, including exceptions"),
    ("within_20_weeks_excluding_exceptions", "Issued within 20 weeks, excluding exceptions"),
)
"""The totals the page shows, in the timeliness report's words."""
FORMATS = {"xml": "application/xml", "csv": "text/csv"}


def census_date(query: Any, today: date) -> tuple[date | None, forms.Answers]:
    """The date asked for, or the problem with it: a real date, from ``FIRST_YEAR`` to next
    year (a return being prepared)."""
    body, answers = forms.read([CENSUS_DATE], query)
    if answers.errors:
        return None, answers
    chosen = date.fromisoformat(body["census_date"])
    if not FIRST_YEAR <= chosen.year <= today.year + 1:
        answers.errors["census_date"] = (
            f"Census date must be in a year from {FIRST_YEAR} to {today.year + 1}"
        )
        return None, answers
    return chosen, answers


@router.get("/sen2")
async def sen2_page(request: Request, user: Manager) -> Response:
    council = councils.chosen(request, user)
    context: dict[str, Any] = {
        "councils": councils.choices(request, user),
        "council": council,
        "council_name": councils.name(request, council),
        "question": CENSUS_DATE,
    }
    asked = any(k.startswith("census_date-") for k in request.query_params)
    if not asked:
        return pages.render(request, "manager/sen2.html", answers=forms.Answers({}), **context)
    chosen, answers = census_date(request.query_params, london_today())
    if chosen is None:
        return pages.render(
            request,
            "manager/sen2.html",
            status_code=422,
            answers=answers,
            errors=answers.summary([CENSUS_DATE]),
            **context,
        )
    backends: Backends = state_of(request).backends
    summary = await backends.get(
        "referrals",
        "/v1/reports/sen2",
        token=user.access_token,
        params={"local_authority": council, "census_date": chosen.isoformat(), "format": "json"},
    )
    return pages.render(
        request,
        "manager/sen2.html",
        answers=answers,
        census=chosen,
        summary=summary,
        totals=[(label, summary["totals"][key]) for key, label in TOTALS],
        **context,
    )


@router.get("/sen2/return.{extension}")
async def sen2_download(request: Request, user: Manager, extension: str) -> Response:
    """The return as the service writes it (its content type and file name), streamed."""
    council = councils.chosen(request, user)
    asked = request.query_params.get("census_date", "")
    try:
        chosen = date.fromisoformat(asked)
    except ValueError:
        chosen = None
    if extension not in FORMATS or chosen is None:
        raise NotFound("sen2")  # no such download: "Page not found"
    backends: Backends = state_of(request).backends
    answer = await backends.stream(
        "referrals",
        "/v1/reports/sen2",
        token=user.access_token,
        params={"local_authority": council, "census_date": chosen.isoformat(), "format": extension},
    )
    named = f'attachment; filename="sen2-{council}-{chosen.isoformat()}.{extension}"'
    return StreamingResponse(
        answer.aiter_bytes(),
        media_type=answer.headers.get("content-type", FORMATS[extension]),
        headers={"Content-Disposition": named},
        background=BackgroundTask(answer.aclose),
    )
