"""The caseload: the council's open referrals, nearest deadline first, a page at a time,
narrowed by filters (a GET query of codes and ids only) and by a search.

A search is by reference, NHS number or name: it is posted (``/caseload/search``) and kept in
the person's session, never put in a URL (a name or an NHS number in an address ends up in
access logs and browser history). Its results page like the caseload: ``?page=2`` pages the
search in the session. The filters (``caseload_filters``) are codes the page itself offers.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from shared.dates import london_today
from web import forms, pages, words
from web.backends import ApiError, Backends, Invalid, together
from web.caseload_filters import DEADLINE_STATES, Filters
from web.sessions import session_of
from web.signin import User, checked_form, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Caseworker = Annotated[User, with_role("caseworker", "manager")]

SEARCH = "caseload_search"
"""The session's key for the search text (the session is encrypted; the URL never has it)."""
SEARCH_MAX = 100  # as the referrals API takes it


@router.get("/")
async def home(request: Request) -> Response:
    session_user = request.scope["web.session"].data.get("user")
    if session_user is None:
        return RedirectResponse("/sign-in", status_code=303)
    roles = set(session_user["roles"])
    if roles & {"caseworker", "manager"}:
        return RedirectResponse("/caseload", status_code=303)
    if "auditor" in roles:
        return RedirectResponse("/audit", status_code=303)
    if "specialist" in roles:
        return RedirectResponse("/practitioner", status_code=303)
    if "school" in roles:
        return RedirectResponse("/school", status_code=303)
    return pages.render(request, "errors/not_allowed.html", status_code=403)


@router.get("/caseload")
async def caseload(
    request: Request,
    user: Caseworker,
    track: str | None = None,
    status: Annotated[str | None, Query(max_length=40)] = None,
    deadline: Annotated[list[str] | None, Query(max_length=2)] = None,
    team: Annotated[str | None, Query(max_length=40)] = None,
    waiting: Annotated[str | None, Query(max_length=3)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    filters = Filters.of(track, status, deadline or [], team, waiting)
    text = session_of(request).data.get(SEARCH)
    return await _page(request, user, filters, page, text)


@router.post("/caseload/search")
async def search(request: Request, user: Caseworker) -> Response:
    """Search the caseload (an empty text, or the "Clear search" button, ends the search)."""
    form = await checked_form(request)
    filters = Filters.posted(form)
    text = " ".join(str(form.get("text") or "").split())
    session = session_of(request)
    if not text or form.get("clear"):
        session.data.pop(SEARCH, None)
        return RedirectResponse(filters.query(), status_code=303)
    problem = None
    if len(text) < 2:
        problem = "Enter at least 2 characters of a reference, NHS number or name"
    elif len(text) > SEARCH_MAX:
        problem = f"Search must be {SEARCH_MAX} characters or fewer"
    if problem is not None:
        session.data.pop(SEARCH, None)
        return await _page(request, user, filters, 1, None, typed=text, problem=problem)
    session.data[SEARCH] = text
    return RedirectResponse(filters.query(), status_code=303)


async def _page(
    request: Request,
    user: User,
    filters: Filters,
    page: int,
    text: str | None,
    *,
    typed: str | None = None,
    problem: str | None = None,
) -> Response:
    """The caseload (or the search's results), the registry's entries for the team filter,
    at once."""
    backends: Backends = state_of(request).backends
    size = state_of(request).settings.page_size
    window = {"limit": size, "offset": (page - 1) * size}
    if text:
        found_call = backends.post(
            "referrals",
            "/v1/referrals/search",
            token=user.access_token,
            json={**filters.api(), **window, "text": text},
        )
    else:
        query = {**filters.api(), **window}
        found_call = backends.get(
            "referrals", "/v1/referrals", token=user.access_token, params=query
        )
    try:
        found, teams = await together(found_call, _teams(backends, user))
    except Invalid as exc:  # the service refused the search's text (the filters are ours)
        session_of(request).data.pop(SEARCH, None)
        message = forms.plain(exc.errors[0][1]) if exc.errors else "is not valid"
        return await _page(
            request, user, filters, 1, None, typed=text, problem=f"Search: {message}"
        )
    today = london_today()
    rows = [
        {
            **item,
            "reference": str(item["id"])[:8].upper(),
            "days_left": (date.fromisoformat(item["next_due_on"]) - today).days
            if item.get("next_due_on")
            else None,
        }
        for item in found["items"]
    ]
    return pages.render(
        request,
        "caseworker/caseload.html",
        status_code=422 if problem else 200,
        rows=rows,
        page=page,
        previous=filters.query(page=page - 1) if page > 1 else None,
        next=filters.query(page=page + 1) if found.get("next_offset") is not None else None,
        filters=filters,
        teams=teams,
        searching=text,
        typed=typed if typed is not None else (text or ""),
        errors=[{"text": problem, "href": "#text"}] if problem else [],
        problem=problem,
        deadline_states=DEADLINE_STATES,
        words=words,
    )


async def _teams(backends: Backends, user: User) -> list[dict[str, Any]] | None:
    """The registry's entries of the person's councils, for the team filter; None when the
    specialists service cannot say (the caseload is shown without that filter)."""
    try:
        listed = await together(
            *(
                backends.get(
                    "specialists",
                    "/v1/registry",
                    token=user.access_token,
                    params={"local_authority": council},
                )
                for council in user.councils
            )
        )
    except ApiError:
        return None
    entries = {e["id"]: e for found in listed for e in found}
    return sorted(entries.values(), key=lambda e: (not e["active"], e["display_name"].casefold()))
