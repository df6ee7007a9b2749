"""The public request form's pages: no sign-in. A start page, a question a page, "check your
answers", the request sent to referrals' public intake, and the confirmation with its
reference.

The answers are kept in the visitor's session (encrypted in the workspace's database, never in
an address) and go when the request is sent. Each page checks only that it was answered; the
rules (names, dates, NHS numbers, safe text, who may ask) are referrals', whose 422 is shown on
"check your answers" with a link to the page that asks each field. The visitor's own address
is passed on in ``X-Forwarded-For`` (referrals limits requests per address: a bot's flood
from other addresses leaves a family's request alone).

(Longer than most modules: a question's page, "check your answers" and the send are one
walk through the form, read together.)
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from web import pages
from web.backends import Invalid, Unavailable
from web.councils import names
from web.family.link import family_address
from web.forms import Answers, Question, read
from web.request.flow import (
    EVIDENCE,
    PUBLIC_FORM,
    Flow,
    Page,
    evidence_of,
    question_of,
    request_body,
)
from web.sessions import csrf_token, session_of
from web.signin import checked_form
from web.state import state_of

router = APIRouter(include_in_schema=False)

ANSWERS = "public_request"
SENT = "public_request_sent"
KEY = "public_request_key"


@dataclass(frozen=True)
class Form:
    """A form without an account, a question a page: where its pages are, its flow, the
    answers it gives without asking (the short form's requester), and where the visitor's
    session keeps its answers (each form its own, so the two never mix)."""

    path: str
    flow: Flow
    fixed: Mapping[str, Any] = field(default_factory=dict)
    answers: str = ANSWERS

    @property
    def sent(self) -> str:
        return f"{self.answers}_sent"

    @property
    def key(self) -> str:
        return f"{self.answers}_key"


FAMILY_FORM = Form("/request", PUBLIC_FORM)
"""The public form: a parent or carer, a young person, or someone at a school or college."""
HONEYPOT = "website"
"""A field people never see (hidden by the stylesheet, skipped by screen readers): a program
that fills every field fills it, and its request is answered but not kept."""
SEND_ATTEMPTS = 4
BUSY_PAUSE_S = 0.05
"""Referrals answered busy: the request is sent again after 50, 100 and 150 ms."""
PUBLIC: dict[str, Any] = {"service_name": "Ask for SEND support", "family": True}
"""Every public page's layout: the service's name for the public, no staff navigation."""


def saved_answers(request: Request, form: Form = FAMILY_FORM) -> dict[str, Any]:
    saved = session_of(request).data.get(form.answers)
    return {**saved, **form.fixed} if isinstance(saved, dict) else dict(form.fixed)


def _questions(request: Request, page: Page) -> tuple[Question, ...]:
    """The page's questions, the council's offering the councils this workspace serves."""
    return tuple(
        Question(q.name, q.label, q.kind, names(request), q.hint, q.required, q.when)
        if q.name == "local_authority"
        else q
        for q in page.questions
    )


def render_public(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> Response:
    return pages.render(
        request, template, status_code=status_code, csrf=csrf_token(request), **PUBLIC, **context
    )


@router.get("/request")
async def start(request: Request) -> Response:
    return render_public(request, "request/start.html", first=PUBLIC_FORM.pages[0].slug)


@router.get("/request/check")
async def check_answers(request: Request) -> Response:
    return check_page(request, FAMILY_FORM, Answers({}))


@router.post("/request/check")
async def send(request: Request) -> Response:
    return await send_form(request, FAMILY_FORM)


async def send_form(request: Request, form: Form) -> Response:
    """Send the request (once: the key kept with the answers answers a second press)."""
    posted = await checked_form(request)
    flow, saved = form.flow, saved_answers(request, form)
    if flow.next_after(saved) is not None:
        return to_next(form, saved)
    answers = _read_all(request, flow, saved)
    session = session_of(request).data
    key = session.setdefault(form.key, str(uuid.uuid4()))
    body = request_body(answers, str(posted.get(HONEYPOT, "")))
    try:
        receipt = await _sent(request, body, key)
    except Invalid as exc:
        problems = Answers({})
        for loc, message in exc.errors:
            name = question_of(loc)
            if name is None:
                problems.general.append(message)
            else:
                problems.errors.setdefault(name, message)
        return check_page(request, form, problems, status_code=422)
    session.pop(form.answers, None)
    session.pop(form.key, None)
    channel = saved.get("preferred_channel")
    contact = saved.get("email") if channel == "email" else saved.get("phone")
    session[form.sent] = {**receipt, "contact": contact, "track": saved.get("track")}
    return RedirectResponse(f"{form.path}/sent", status_code=303)


async def _sent(request: Request, body: dict[str, Any], key: str) -> Any:
    """Referrals' receipt for the request. Busy (its admission refused it: a flood on the
    public form), it is sent again at once a few times, with its Idempotency-Key (kept once
    however many times it is sent), so a family's request goes through in well under a
    second rather than being refused."""
    backends = state_of(request).backends
    for attempt in range(SEND_ATTEMPTS):
        answer = await backends.call(
            "referrals",
            "POST",
            "/v1/public/requests",
            token=None,
            json=body,
            headers={"Idempotency-Key": key},
            forwarded_for=family_address(request),
            accept=(201, 503),
        )
        if answer.status == 201:
            return answer.body
        await asyncio.sleep(BUSY_PAUSE_S * (attempt + 1))
    raise Unavailable("referrals: busy")


@router.get("/request/sent")
async def sent(request: Request) -> Response:
    return sent_page(request, FAMILY_FORM)


def sent_page(request: Request, form: Form) -> Response:
    receipt = session_of(request).data.get(form.sent)
    if not isinstance(receipt, dict):
        return RedirectResponse(form.path, status_code=303)
    return render_public(request, "request/sent.html", receipt=receipt)


@router.get("/request/{slug}")
async def question_page(request: Request, slug: str) -> Response:
    return asked(request, FAMILY_FORM, slug)


def asked(request: Request, form: Form, slug: str) -> Response:
    """The page ``slug`` of ``form``, with its answer so far."""
    flow, saved = form.flow, saved_answers(request, form)
    page = flow.page(slug)
    if page is None or not page.when(saved):
        return pages.render(request, "errors/not_found.html", status_code=404, **PUBLIC)
    questions = _questions(request, page)
    return _question(request, form, page, read(questions, saved)[1], saved)


@router.post("/request/{slug}")
async def answer(request: Request, slug: str) -> Response:
    return await answered(request, FAMILY_FORM, slug)


async def answered(request: Request, form: Form, slug: str) -> Response:
    """The page ``slug`` of ``form`` answered: kept, and on to the next page (or the same
    page again, its problems named)."""
    posted = await checked_form(request)
    flow, saved = form.flow, saved_answers(request, form)
    page = flow.page(slug)
    if page is None or not page.when(saved):
        return pages.render(request, "errors/not_found.html", status_code=404, **PUBLIC)
    questions = _questions(request, page)
    _, answers = read(questions, posted)
    if answers.errors:
        return _question(request, form, page, answers, saved, status_code=422)
    kept = {**saved}
    for q in questions:
        if q.kind == "date":
            for part, value in answers.values[q.name].items():
                kept[f"{q.name}-{part}"] = value
        kept[q.name] = answers.values[q.name]
    session_of(request).data[form.answers] = kept
    session_of(request).data.pop(form.key, None)  # changed answers: a new request
    return to_next(form, kept)


def to_next(form: Form, saved: dict[str, Any]) -> Response:
    following = form.flow.next_after(saved)
    return RedirectResponse(
        f"{form.path}/{following.slug}" if following else f"{form.path}/check", status_code=303
    )


def _question(
    request: Request,
    form: Form,
    page: Page,
    answers: Answers,
    saved: dict[str, Any],
    *,
    status_code: int = 200,
) -> Response:
    questions = _questions(request, page)
    previous = form.flow.before(page.slug, saved)
    return render_public(
        request,
        "request/question.html",
        status_code=status_code,
        page=page,
        questions=questions,
        answers=answers,
        errors=answers.summary(questions),
        back=f"{form.path}/{previous.slug}" if previous else form.path,
        action=f"{form.path}/{page.slug}",
    )


def _read_all(request: Request, flow: Flow, saved: dict[str, Any]) -> dict[str, Any]:
    """Every answer asked, as the API takes it (a date as ISO), and the answers the form
    gives without asking (``Form.fixed``, in ``saved``)."""
    body: dict[str, Any] = {k: saved[k] for k in ("requested_by",) if k in saved}
    for page in flow.asked(saved):
        if page.slug == EVIDENCE:  # files, uploaded already: their ids
            body[EVIDENCE] = evidence_of(saved)
            continue
        body |= read(_questions(request, page), saved)[0]
    return body


def check_page(
    request: Request, form: Form, problems: Answers, *, status_code: int = 200
) -> Response:
    flow, saved = form.flow, saved_answers(request, form)
    if flow.next_after(saved) is not None:
        return to_next(form, saved)
    rows = []
    for page in flow.asked(saved):
        if page.slug == EVIDENCE:
            names = [e["filename"] for e in evidence_of(saved)]
            rows.append({"page": page, "value": ", ".join(names) or "None"})
            continue
        questions = _questions(request, page)
        shown = read(questions, saved)[1].values
        parts = []
        for q in questions:
            value = shown.get(q.name)
            if q.kind == "date" and isinstance(value, dict):
                parts.append(pages.long_date(read((q,), saved)[0].get(q.name)))
            elif q.options:
                parts.append(q.options.get(str(value), str(value)))
            else:
                parts.append(str(value or "Not given"))
        rows.append({"page": page, "value": " ".join(parts)})
    errors = [
        {"text": f"{asking.summary}: {message}", "href": f"{form.path}/{asking.slug}"}
        for name, message in problems.errors.items()
        if (asking := flow.page_of(name)) is not None
    ] + [{"text": text} for text in problems.general]
    return render_public(
        request,
        "request/check.html",
        status_code=status_code,
        rows=rows,
        errors=errors,
        honeypot=HONEYPOT,
        base=form.path,
        back=f"{form.path}/{flow.asked(saved)[-1].slug}",
    )
