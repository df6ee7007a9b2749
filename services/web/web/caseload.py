"""The caseload: the council's open referrals, nearest deadline first, a page at a time."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from web import pages, words
from web.signin import User, with_role

router = APIRouter(include_in_schema=False)


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
    return pages.render(request, "errors/not_allowed.html", status_code=403)


@router.get("/caseload")
async def caseload(
    request: Request,
    user: Annotated[User, with_role("caseworker", "manager")],
    track: Annotated[str | None, Query(pattern="^(support|ehc)?$")] = None,
    status: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    size = request.app.state.settings.page_size
    found = await request.app.state.backends.get(
        "referrals",
        "/v1/referrals",
        token=user.access_token,
        params={
            "track": track or None,
            "status": status or None,
            "limit": size,
            "offset": (page - 1) * size,
        },
    )
    today = date.today()
    rows = [
        {
            **item,
            "days_left": (date.fromisoformat(item["next_due_on"]) - today).days
            if item.get("next_due_on")
            else None,
        }
        for item in found["items"]
    ]
    return pages.render(
        request,
        "caseworker/caseload.html",
        rows=rows,
        page=page,
        has_next=found.get("next_offset") is not None,
        track=track or "",
        status=status or "",
        words=words,
    )
