"""Bringing in a council's open requests (EHC needs assessments under way in its earlier
system, ``docs/live-plans.md``): a manager uploads one CSV or JSON file, as for plans in force
(``web.live_plans``: the same file upload, checks and list of problems by line and column), and
it goes as it is to referrals' ``POST /v1/live-plans/open-requests/import``, which replays each
request's steps and stores all or none. Brought in, the page lists each request by the
council's case id, linked to its referral in the caseload, the first ``LISTED`` only (a file of
thousands is found in the caseload). Nothing about a child is kept here: the session holds the
case ids and referral ids until the page after the upload shows them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from web import councils, pages
from web.backends import Backends, Invalid
from web.live_plans import IMPORT_TIMEOUT_S, Problem, brought_in, chosen_file, listed, problem
from web.signin import User, checked_form, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Manager = Annotated[User, with_role("manager")]

PATH = "/live-plans/open-requests/import"
API = "/v1/live-plans/open-requests/import"
UPLOADS = (PATH,)
"""The page takes a file of up to 20 MB, as the plans' page does."""
LISTED = 100
"""Requests listed at most after an import, each linked to its referral: more are in the
caseload, and the session that carries them to the next page stays small."""
SESSION_KEY = "open_requests_brought_in"
COLUMNS = (
    "case_id", "local_authority", "child_given_name", "child_family_name", "child_date_of_birth",
    "child_nhs_number", "child_postcode", "contact_name", "contact_email", "contact_phone",
    "contact_preferred_channel", "requested_by", "received_on", "needs", "assessment_decision",
    "assessment_decided_on", "refusal_reason", "advice_kinds", "advice_requested_on",
    "advice_received_on", "advice_received", "plan_decision", "plan_decided_on", "not_issue_reason",
    "draft_issued_on", "comments_due",
)  # fmt: skip
"""The CSV columns of ``docs/live-plans.md`` in its order (referrals'
``open_request_file.COLUMNS``; a unit test holds the two together)."""
THINGS = ("open request", "open requests")
OUTCOMES = {"added": "Brought in", "unchanged": "Already brought in, left as it was"}


@router.get(PATH)
async def import_form(request: Request, user: Manager) -> Response:
    council = councils.chosen(request, user)
    done = request.scope["web.session"].data.pop(SESSION_KEY, None)
    return _page(request, council, done=done)


@router.post(PATH)
async def import_file(request: Request, user: Manager) -> Response:
    form = await checked_form(request)
    council = councils.chosen(request, user)
    upload = await chosen_file(form.get("requests"))
    if isinstance(upload, str):
        return _page(request, council, problem_text=upload)
    backends: Backends = state_of(request).backends
    try:
        report = await backends.post(
            "referrals",
            API,
            token=user.access_token,
            content=upload.content,
            headers={"Content-Type": upload.content_type},
            timeout_s=IMPORT_TIMEOUT_S,
        )
    except Invalid as exc:
        found = [problem(loc, why) for loc, why in exc.errors]
        return _page(request, council, problems=found, filename=upload.filename)
    request.scope["web.session"].data[SESSION_KEY] = summary(report, upload.filename)
    return RedirectResponse(f"{PATH}?council={council}", status_code=303)


def summary(report: dict[str, Any], filename: str) -> dict[str, Any]:
    """What the page after an import shows: the banner, and the requests brought in (added
    first, as the API lists them), each a case id, its referral and its outcome; ids only."""
    requests = report["requests"]
    return {
        "banner": brought_in(report["added"], report["unchanged"], filename, THINGS),
        "requests": [
            {"case_id": r["case_id"], "referral_id": str(r["referral_id"]), "outcome": r["outcome"]}
            for r in requests[:LISTED]
        ],
        "more": max(len(requests) - LISTED, 0),
    }


@router.get("/live-plans/open-requests/template.csv")
async def template(request: Request, user: Manager) -> Response:
    """The documented header and nothing else: a council fills it from its earlier system."""
    return Response(
        ",".join(COLUMNS) + "\r\n",
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="open-requests-template.csv"'},
    )


def _page(
    request: Request,
    council: str,
    *,
    problem_text: str | None = None,
    problems: list[Problem] | None = None,
    filename: str | None = None,
    done: dict[str, Any] | None = None,
) -> Response:
    found = problems or []
    said = listed(found, problem_text=problem_text, filename=filename, upload_id="requests")
    return pages.render(
        request,
        "manager/open_requests_import.html",
        status_code=422 if said.errors else 200,
        errors=said.errors,
        problems=said.shown,
        problem_count=len(found),
        field_error=said.field_error,
        done=done,
        outcomes=OUTCOMES,
        council=council,
        council_name=councils.name(request, council),
    )
