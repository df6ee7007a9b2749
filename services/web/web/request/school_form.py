"""The short public form for a school or college without an account ("and a short one for
schools and colleges"): the same pages, "check your answers", confirmation and message as the
family's form, fewer questions (``flow.SCHOOL_FORM``: the requester is the school, not asked;
the school's URN is), under ``/request/school``. The request goes to the same public intake,
so the same abuse rules hold (its bulkhead, the limits per address and per contact, the
honeypot, the body limit, intake's safe text); the family is sent the link to confirm it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web.forms import Answers
from web.request.flow import SCHOOL_FORM
from web.request.routes import (
    Form,
    answered,
    asked,
    check_page,
    render_public,
    send_form,
    sent_page,
)

router = APIRouter(include_in_schema=False)

SCHOOLS = Form("/request/school", SCHOOL_FORM, {"requested_by": "school"}, "school_request")


@router.get("/request/school")
async def school_start(request: Request) -> Response:
    return render_public(request, "request/school_start.html", first=SCHOOL_FORM.pages[0].slug)


@router.get("/request/school/check")
async def school_check(request: Request) -> Response:
    return check_page(request, SCHOOLS, Answers({}))


@router.post("/request/school/check")
async def school_send(request: Request) -> Response:
    return await send_form(request, SCHOOLS)


@router.get("/request/school/sent")
async def school_sent(request: Request) -> Response:
    return sent_page(request, SCHOOLS)


@router.get("/request/school/{slug}")
async def school_question(request: Request, slug: str) -> Response:
    return asked(request, SCHOOLS, slug)


@router.post("/request/school/{slug}")
async def school_answer(request: Request, slug: str) -> Response:
    return await answered(request, SCHOOLS, slug)
