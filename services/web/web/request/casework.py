"""The caseworkers' side of the public form: the requests made online that are not taken in
yet (their contact has not confirmed them, or a confirmed one clashes with the child's open
referral), oldest first, each with its legal date; and "Confirmed by phone", for a request
whose contact the caseworker rang (referrals takes it in as the link would have)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from web import forms, pages, words
from web.backends import Conflict
from web.sessions import session_of
from web.signin import User, checked_form, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Caseworker = Annotated[User, with_role("caseworker", "manager")]
BANNER = "public_requests_banner"


@router.get("/caseload/requests")
async def waiting(request: Request, user: Caseworker) -> Response:
    return await _page(request, user)


@router.post("/caseload/requests/{request_id}/confirm")
async def confirmed_by_phone(request: Request, request_id: UUID, user: Caseworker) -> Response:
    form = await checked_form(request)
    backends = state_of(request).backends
    try:
        done = await backends.post(
            "referrals",
            f"/v1/public-requests/{request_id}/confirm",
            token=user.access_token,
            json={"spoke_to": "contact"},
            headers={"Idempotency-Key": str(form.get("idempotency_key") or uuid.uuid4())},
        )
    except Conflict as exc:
        return await _page(request, user, problem=forms.plain(exc.detail), status_code=409)
    session_of(request).data[BANNER] = (
        f"Request {done['reference']} was confirmed and taken in as a referral"
    )
    return RedirectResponse("/caseload/requests", status_code=303)


async def _page(
    request: Request, user: User, *, problem: str | None = None, status_code: int = 200
) -> Response:
    backends = state_of(request).backends
    found: dict[str, Any] = await backends.get(
        "referrals", "/v1/public-requests", token=user.access_token, params={"limit": 200}
    )
    return pages.render(
        request,
        "request/casework.html",
        status_code=status_code,
        items=found["items"],
        errors=[{"text": problem}] if problem else [],
        banner=session_of(request).data.pop(BANNER, None),
        requesters=words.REQUESTERS,
        tracks=words.TRACKS,
        key=str(uuid.uuid4()),
    )
