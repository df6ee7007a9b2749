"""The child's plan for the family: rendered here from plans' family JSON (the plan in the
family's words, or a page saying it is being prepared), its PDF (plans prints it), and the
comment form, sent to plans as JSON with the workspace's own CSRF check first."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from web import forms, pages
from web.backends import Backends, Conflict, Invalid, NotFound, SignInAgain
from web.family.link import KEPT, LinkNeeded, LinkRefused, contact_of, family_address, token_of
from web.family.status import FAMILY, needed, refused
from web.forms import Question
from web.sessions import csrf_token, session_of
from web.signin import checked_form
from web.state import state_of

router = APIRouter(include_in_schema=False)

COMMENTS = Question(
    "comments",
    "Your comments",
    "textarea",
    hint="Tell us if anything is wrong or missing, or what you would like to change.",
)
SCHOOL = Question(
    "preferred_school",
    "The school or setting you would like your child to go to",
    "text",
    required=False,
)
AGREE = "agree"
RECEIVED = "Thank you. We have received your comments."


@router.get("/family/plan")
async def plan_page(request: Request) -> Response:
    try:
        shown = await _plan(request)
    except LinkNeeded:
        return needed(request)
    except LinkRefused:
        return refused(request)
    return _page(request, shown, forms.Answers({}))


@router.get("/family/plan.pdf")
async def plan_pdf(request: Request) -> Response:
    """Plans prints the plan; the document is passed on as it comes."""
    try:
        token = token_of(request)
    except LinkNeeded:
        return needed(request)
    backends: Backends = state_of(request).backends
    try:
        answer = await backends.call(
            "plans",
            "GET",
            f"/v1/family/{token}/plan.pdf",
            token=None,
            forwarded_for=family_address(request),
        )
    except SignInAgain:
        return refused(request)
    except NotFound:  # not shared with the family yet: the page says so
        return RedirectResponse("/family/plan", status_code=303)
    return Response(
        answer.body,
        media_type="application/pdf",
        headers={"Content-Disposition": answer.headers.get("content-disposition", "attachment")},
    )


@router.post("/family/plan/comments")
async def send_comments(request: Request) -> Response:
    if not session_of(request).data.get(KEPT):  # timed out: no link, nor its form's token
        return needed(request)
    form = await checked_form(request)
    questions = comment_questions(ehc=True)  # a support plan's form has no school: nothing is sent
    body, answers = forms.read(questions, form)
    agreed = form.get(AGREE) == "yes"
    answers.values[AGREE] = agreed
    try:
        token = token_of(request)
        if answers.errors:
            return _page(request, await _plan(request), answers, status_code=422)
        await state_of(request).backends.call(
            "plans",
            "POST",
            f"/v1/family/{token}/plan/comments",
            token=None,
            json={**body, "agree": agreed},
            forwarded_for=family_address(request),
        )
    except LinkNeeded:
        return needed(request)
    except (LinkRefused, SignInAgain):
        return refused(request)
    except Invalid as exc:
        forms.from_api(answers, questions, exc.errors)
        return _page(request, await _plan(request), answers, status_code=422)
    except Conflict as exc:
        answers.general.append(forms.plain(exc.detail))
        return _page(request, await _plan(request), answers, status_code=409)
    session_of(request).data["family_banner"] = RECEIVED
    return RedirectResponse("/family/plan", status_code=303)


def comment_questions(*, ehc: bool) -> tuple[Question, ...]:
    """The comment form's questions: an EHC plan's also asks for the school (Reg 13(1))."""
    return (COMMENTS, SCHOOL) if ehc else (COMMENTS,)


async def _plan(request: Request) -> dict[str, Any]:
    """Plans' family JSON for the link kept in this session."""
    token = token_of(request)
    backends: Backends = state_of(request).backends
    try:
        shown: dict[str, Any] = await backends.get(
            "plans",
            f"/v1/family/{token}/plan",
            token=None,
            headers={"Accept": "application/json"},
            forwarded_for=family_address(request),
        )
    except (SignInAgain, NotFound) as exc:
        raise LinkRefused from exc
    return shown


def _page(
    request: Request, shown: dict[str, Any], answers: forms.Answers, *, status_code: int = 200
) -> Response:
    plan = shown.get("plan")
    contact = contact_of(request, shown.get("local_authority"))
    if not plan:
        return pages.render(
            request, "family/preparing.html", shown=shown, contact=contact, **FAMILY
        )
    questions = comment_questions(ehc=plan["track"] == "ehc")
    return pages.render(
        request,
        "family/plan.html",
        status_code=status_code,
        title=shown["title"],
        plan=plan,
        contact=contact,
        questions=questions,
        answers=answers,
        errors=answers.summary(questions),
        banner=session_of(request).data.pop("family_banner", None),
        csrf=csrf_token(request),
        **FAMILY,
    )
