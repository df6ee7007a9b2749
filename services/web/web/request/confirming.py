"""The link that confirms a request made on the public form (``REQUEST_CONFIRM_URL``).

Opened, ``/family/confirm/{token}`` keeps the token in the visitor's session and sends the
browser on to ``/request/confirm`` (as the family's link does: the token leaves the address
bar, and the ``/family`` prefix keeps it out of traces and access lines). Nothing is
confirmed by opening the link: mail scanners open links too. The person presses "Confirm",
and referrals checks the token (the workspace holds no key to it) and takes the request in.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from web.backends import NotFound, SignInAgain
from web.family.link import LONGEST_TOKEN, family_address
from web.request.routes import render_public
from web.sessions import session_of
from web.signin import checked_form
from web.state import state_of

router = APIRouter(include_in_schema=False)

KEPT = "request_confirm_link"


@router.get("/family/confirm/{token}")
async def link_opened(request: Request, token: str) -> Response:
    if len(token) > LONGEST_TOKEN:
        return _refused(request)
    session_of(request).data[KEPT] = token
    return RedirectResponse("/request/confirm", status_code=303)


@router.get("/request/confirm")
async def confirm_page(request: Request) -> Response:
    if not isinstance(session_of(request).data.get(KEPT), str):
        return _refused(request)
    return render_public(request, "request/confirm.html")


@router.post("/request/confirm")
async def confirm(request: Request) -> Response:
    await checked_form(request)
    token = session_of(request).data.get(KEPT)
    if not isinstance(token, str):
        return _refused(request)
    backends = state_of(request).backends
    try:
        receipt = await backends.post(
            "referrals",
            "/v1/public/requests/confirm",
            token=None,
            json={"token": token},
            forwarded_for=family_address(request),
        )
    except (SignInAgain, NotFound):  # expired, not a link, or erased
        return _refused(request)
    session_of(request).data.pop(KEPT, None)
    return render_public(request, "request/confirmed.html", receipt=receipt)


def _refused(request: Request) -> Response:
    session_of(request).data.pop(KEPT, None)
    return render_public(request, "request/link_refused.html", status_code=401)
