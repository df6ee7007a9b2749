"""``/audit``: auditors search the audit trail by person, referral and time, across the four
services at once, newest first, a page at a time.

A search is a GET form: a person's sign-in name, a referral's id and dates are no child's
personal data, so they may be in the address (and a search can be bookmarked or shared).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shared.services import EVENT_SERVICES
from web import forms, pages
from web.audit.trail import Cursor, bounds, merge
from web.backends import Backends, NotFound, together
from web.forms import Question
from web.pages import LONDON
from web.signin import User, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Auditor = Annotated[User, with_role("auditor")]

SERVICES = tuple(EVENT_SERVICES)
"""Every service that keeps an audit trail (the workspace keeps none: it holds no records)."""

DAY_HINT = "For example, 27 3 2026."

QUESTIONS = (
    Question(
        "actor",
        "Person",
        "text",
        required=False,
        hint="Their sign-in name, for example leeds-caseworker; system:plans for what a "
        "service did by itself.",
    ),
    Question(
        "referral_id",
        "Referral id",
        "text",
        required=False,
        hint="The referral's id as it is in the address of its page.",
    ),
    Question("from", "From", "date", required=False, hint=DAY_HINT),
    Question("to", "To", "date", required=False, hint=DAY_HINT + " This day is included."),
)

ACTIONS = {
    "read": "Read",
    "create": "Created",
    "update": "Changed",
    "erase": "Erased",
    "retire": "Retired",
    "import": "Imported",
}


@router.get("/audit")
async def audit_trail(request: Request, user: Auditor) -> Response:
    query = request.query_params
    body, answers = forms.read(QUESTIONS, query)
    _check(body, answers)
    searched = any(str(v).strip() for k, v in query.items() if k != "before")
    if answers.errors:
        return _page(request, answers, [], None, searched, status_code=422)
    cursor = None
    if "before" in query:
        cursor = Cursor.decode(query["before"], SERVICES)
        if cursor is None:
            raise NotFound("audit page")
    size: int = state_of(request).settings.page_size
    backends: Backends = state_of(request).backends
    start = _start_of(body.get("from"))
    end = _start_of(body.get("to"), days_after=1)
    answered = await together(
        *(
            backends.get(
                service,
                "/v1/audit",
                token=user.access_token,
                params=_params(body, start, bounds(cursor, service, SERVICES, end), limit=size + 1),
            )
            for service in SERVICES
        )
    )
    entries, following = merge(dict(zip(SERVICES, answered, strict=True)), SERVICES, size)
    return _page(request, answers, entries, following, searched, first_page=cursor is None)


def _check(body: dict[str, Any], answers: forms.Answers) -> None:
    """What the services would refuse, said in words beside the field."""
    referral = body.get("referral_id")
    if referral is not None:
        try:
            body["referral_id"] = str(uuid.UUID(referral))
        except ValueError:
            answers.errors["referral_id"] = (
                "Referral id must be the id in the referral's address, like "
                "0f8c2e1a-5b7d-4c3e-9a1f-2b6d8e4c7a90"
            )
    if len(body.get("actor", "")) > 200:
        answers.errors["actor"] = "Person must be 200 characters or fewer"
    if "from" in body and "to" in body and body["from"] > body["to"]:
        answers.errors["to"] = "To must be the same as or after From"


def _start_of(day: str | None, *, days_after: int = 0) -> datetime | None:
    """The first moment of ``day`` (London time), or of the day ``days_after`` it."""
    if day is None:
        return None
    start = date.fromisoformat(day) + timedelta(days=days_after)
    return datetime.combine(start, time(), tzinfo=LONDON)


def _params(
    body: dict[str, Any], start: datetime | None, page: dict[str, Any], *, limit: int
) -> dict[str, Any]:
    to: datetime | None = page["to"]
    return {
        "actor": body.get("actor"),
        "referral_id": body.get("referral_id"),
        "from": start.isoformat() if start else None,
        "to": to.isoformat() if to else None,
        "before_id": page["before_id"],
        "limit": limit,
    }


def _page(
    request: Request,
    answers: forms.Answers,
    entries: list[dict[str, Any]],
    following: Cursor | None,
    searched: bool,
    *,
    first_page: bool = True,
    status_code: int = 200,
) -> Response:
    search = {k: v for k, v in request.query_params.items() if k != "before" and v}
    return pages.render(
        request,
        "auditor/audit.html",
        status_code=status_code,
        questions=QUESTIONS,
        answers=answers,
        errors=answers.summary(QUESTIONS),
        entries=[_shown(e) for e in entries],
        searched=searched,
        first_page=first_page,
        newest=f"/audit?{urlencode(search)}" if not first_page else None,
        older=f"/audit?{urlencode({**search, 'before': following.encode()})}"
        if following
        else None,
    )


def _shown(entry: dict[str, Any]) -> dict[str, Any]:
    resource = str(entry["resource"]).replace("_", " ").replace("-", " ")
    action = ACTIONS.get(entry["action"], str(entry["action"]).capitalize())
    return {
        **entry,
        "what": f"{action}: {resource}",
        "reference": str(entry["referral_id"])[:8].upper() if entry["referral_id"] else None,
        "service_name": str(entry["service"]).capitalize(),
    }
