"""The adviser's pages (SEND Regulations 2014, regs 6 and 8): the link in the council's
message opens what is asked of them, about which child and by when, and the form that returns
their advice as a document and a short summary. No account: the link's signed token is the
key, checked by the referrals service on every page; the workspace holds no key to it.

As a family's link (``web.family.link``), the token is kept in the session and the browser is
sent on to ``/advisers``, so it leaves the address bar, the history and any ``Referer``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from web import pages, words
from web.backends import Backends, Conflict, Invalid, NotFound, SignInAgain
from web.family.link import LONGEST_TOKEN, family_address
from web.sessions import csrf_token, session_of
from web.signin import checked_form
from web.state import state_of

router = APIRouter(include_in_schema=False)

KEPT = "adviser_link"
PREFIX = "/advisers"
"""The adviser's pages (kept out of access lines and traces as the family's are)."""
UPLOADS = (r"/advisers",)
"""The adviser's form takes a document (its body may reach ``MAX_UPLOAD_BYTES``)."""
MAX_BYTES = 20 * 1024 * 1024
SUMMARY = (
    ("needs", "The child's needs", "What you found the child's special educational needs to be"),
    ("outcomes_sought", "Outcomes sought", "What the plan should aim for the child to achieve"),
    (
        "provision_recommended",
        "Provision recommended",
        "The support you recommend: what, how often, and who delivers it",
    ),
)
ADVISER: dict[str, Any] = {"service_name": "Give advice to the council", "family": True}
"""What every adviser page's layout needs: no staff navigation or sign-in."""


@router.get("/advisers/{token}")
async def link_opened(request: Request, token: str) -> Response:
    """The link in the council's message: the token kept, the browser sent on."""
    if len(token) > LONGEST_TOKEN:
        return _refused(request)
    old = session_of(request)
    carried = {k: v for k, v in old.data.items() if k not in {"csrf", "timed_out"}}
    fresh = state_of(request).sessions.start(data={**carried, KEPT: token})
    request.scope["web.session"] = fresh
    request.scope["session"] = fresh.data
    return RedirectResponse(PREFIX, status_code=303)


@router.get("/advisers")
async def advice_asked(request: Request) -> Response:
    token = session_of(request).data.get(KEPT)
    if not isinstance(token, str):
        return _refused(request)
    try:
        asked = await _asked(request, token)
    except (SignInAgain, NotFound):
        return _refused(request)
    return _page(request, asked, banner=session_of(request).data.pop("adviser_banner", None))


@router.post("/advisers")
async def return_advice(request: Request) -> Response:
    form = await checked_form(request)
    token = session_of(request).data.get(KEPT)
    if not isinstance(token, str):
        return _refused(request)
    answers = {name: str(form.get(name, "")).strip() for name, _, _ in SUMMARY}
    sent = form.get("file")
    problems: dict[str, str] = {}
    content = b""
    if not isinstance(sent, UploadFile) or not sent.filename:
        problems["file"] = "Select the file of your advice"
    else:
        content = await sent.read(MAX_BYTES + 1)
        if len(content) > MAX_BYTES:
            problems["file"] = "The selected file must be smaller than 20 MB"
    for name, label, _ in SUMMARY:
        if not answers[name]:
            problems[name] = f"Enter {label[:1].lower()}{label[1:]}"
    try:
        if not problems and isinstance(sent, UploadFile):
            await state_of(request).backends.post(
                "referrals",
                f"/v1/advisers/{token}/advice",
                token=None,
                files={"file": (sent.filename, content, "application/octet-stream")},
                data=answers,
                forwarded_for=family_address(request),
            )
            session_of(request).data["adviser_banner"] = "Your advice was received. Thank you."
            return RedirectResponse(PREFIX, status_code=303)
    except Invalid as exc:
        for loc, message in exc.errors:
            field = str(loc[-1]) if loc else "file"
            problems.setdefault(field if field in {*answers, "file"} else "file", message)
    except Conflict:
        return RedirectResponse(PREFIX, status_code=303)  # received already: the page says so
    except (SignInAgain, NotFound):
        return _refused(request)
    asked = await _asked(request, token)
    return _page(request, asked, answers=answers, problems=problems)


async def _asked(request: Request, token: str) -> dict[str, Any]:
    backends: Backends = state_of(request).backends
    asked: dict[str, Any] = await backends.get(
        "referrals", f"/v1/advisers/{token}", token=None, forwarded_for=family_address(request)
    )
    return asked


def _page(
    request: Request,
    asked: dict[str, Any],
    *,
    answers: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    banner: str | None = None,
) -> Response:
    problems = problems or {}
    order = ["file", *(name for name, _, _ in SUMMARY)]
    return pages.render(
        request,
        "advisers/advice.html",
        status_code=422 if problems else 200,
        asked=asked,
        advice_name=words.say(words.ADVICE, asked["kind"]),
        summary=SUMMARY,
        answers=answers or {},
        problems=problems,
        errors=[{"text": problems[f], "href": f"#{f}"} for f in order if f in problems],
        banner=banner,
        csrf=csrf_token(request),
        **ADVISER,
    )


def _refused(request: Request) -> Response:
    session_of(request).data.pop(KEPT, None)
    return pages.render(request, "advisers/refused.html", status_code=401, **ADVISER)
