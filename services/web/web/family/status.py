"""Where things stand, for the family: each step with its date, what happens next, who to
contact, the way to the plan (referrals' family view) and the letters and documents the family
may see. And the link's own addresses: the
link in a message (``/family/{token}``) and the view's link to the plan
(``/family/{token}/plan``) keep the token in the session and send the browser on; a program
asking for JSON gets the services' JSON, as before the workspace."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from web import pages
from web.backends import Backends, NotFound, SignInAgain
from web.family.link import (
    LONGEST_TOKEN,
    LinkNeeded,
    LinkRefused,
    contact_of,
    family_address,
    forget,
    keep,
    token_of,
    wants_json,
)
from web.sessions import session_of
from web.state import state_of

router = APIRouter(include_in_schema=False)


@router.get("/family")
async def where_things_stand(request: Request) -> Response:
    try:
        token = token_of(request)
        view, papers = await asyncio.gather(
            _family_view(request, token), family_documents(request, token)
        )
    except LinkNeeded:
        return needed(request)
    except LinkRefused:
        return refused(request)
    return pages.render(
        request,
        "family/status.html",
        view=view,
        documents=papers,
        kinds=DOCUMENT_KINDS,
        contact=contact_of(request, view.get("local_authority")),
        banner=session_of(request).data.pop("family_banner", None),
        **FAMILY,
    )


@router.get("/family/{token}")
async def link_opened(request: Request, token: str) -> Response:
    """The link in a message: the token kept, the browser sent on to ``/family``."""
    if wants_json(request):
        return await _as_json(request, "referrals", f"/v1/family/{token}", token)
    return _kept(request, token, "/family")


@router.get("/family/{token}/plan")
async def plan_link_opened(request: Request, token: str) -> Response:
    """The family view's link to the plan (``FAMILY_PLAN_URL``), as the message's link."""
    if wants_json(request):
        return await _as_json(request, "plans", f"/v1/family/{token}/plan", token)
    return _kept(request, token, "/family/plan")


@router.get("/family/letters/{letter_id}")
async def letter(request: Request, letter_id: str) -> Response:
    """One of the council's letters, opened through the family's link (referrals keeps it,
    decides whether this link may open it, and audits the read); passed on as it comes."""
    try:
        token = token_of(request)
    except LinkNeeded:
        return needed(request)
    try:
        UUID(letter_id)
    except ValueError as exc:
        raise NotFound(letter_id) from exc
    backends: Backends = state_of(request).backends
    try:
        answer = await backends.call(
            "referrals",
            "GET",
            f"/v1/family/{token}/letters/{letter_id}",
            token=None,
            forwarded_for=family_address(request),
        )
    except SignInAgain:
        return refused(request)
    return Response(
        answer.body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": answer.headers.get("content-disposition", "attachment"),
            "Cache-Control": "no-store",
        },
    )


FAMILY: dict[str, Any] = {"service_name": "Support for your child", "family": True}
"""What every family page's layout needs: the service's name for families, and no navigation
or sign-in of the workspace's staff."""


def needed(request: Request) -> Response:
    """No link in this session: the family opens the one in their message again."""
    timed_out = bool(session_of(request).data.pop("timed_out", False))
    return pages.render(
        request,
        "family/open_again.html",
        status_code=401,
        timed_out=timed_out,
        idle_minutes=state_of(request).settings.session_idle_minutes,
        **FAMILY,
    )


def refused(request: Request) -> Response:
    """The services refused the link (expired, withdrawn, not a link): it is forgotten."""
    forget(request)
    return pages.render(request, "family/refused.html", status_code=401, **FAMILY)


async def _family_view(request: Request, token: str) -> dict[str, Any]:
    backends: Backends = state_of(request).backends
    try:
        view: dict[str, Any] = await backends.get(
            "referrals",
            f"/v1/family/{token}",
            token=None,
            forwarded_for=family_address(request),
        )
    except (SignInAgain, NotFound) as exc:  # 401: expired or withdrawn; 404: erased
        raise LinkRefused from exc
    return view


DOCUMENT_KINDS = {
    "letter": "Letter",
    "evidence": "What you sent us",
    "advice": "Advice",
    "report": "Report",
}
"""A document's kind, as the family's page names it."""


async def family_documents(request: Request, token: str) -> list[dict[str, Any]]:
    """The documents the family may see (referrals decides which, and audits the read):
    their letters, what they sent themselves (``web.family.documents`` serves each)."""
    backends: Backends = state_of(request).backends
    try:
        found: list[dict[str, Any]] = await backends.get(
            "referrals",
            f"/v1/family/{token}/documents",
            token=None,
            forwarded_for=family_address(request),
        )
    except (SignInAgain, NotFound) as exc:
        raise LinkRefused from exc
    return found


def _kept(request: Request, token: str, then: str) -> Response:
    if len(token) > LONGEST_TOKEN:
        return refused(request)
    keep(request, token)
    return RedirectResponse(then, status_code=303)


async def _as_json(request: Request, service: str, path: str, token: str) -> Response:
    """The service's own answer, whatever it is (200, 401, 404, 429), as JSON."""
    if len(token) > LONGEST_TOKEN:
        return JSONResponse({"detail": "this is not a family link"}, status_code=401)
    backends: Backends = state_of(request).backends
    answer = await backends.call(
        service,
        "GET",
        path,
        token=None,
        headers={"Accept": "application/json"},
        forwarded_for=family_address(request),
        accept=(200, 401, 404, 429),
    )
    retry = (
        {"Retry-After": answer.headers["retry-after"]} if "retry-after" in answer.headers else {}
    )
    return JSONResponse(answer.body, status_code=answer.status, headers=retry)
