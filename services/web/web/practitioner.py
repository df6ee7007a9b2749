"""A practitioner's pages (role ``specialist``): their registry entry's caseload, one
allocation, and its steps (accept, the first session's day, a session given, the end), each
over the specialists service's caseload API with the practitioner's own token. The service
decides what they may see: another entry's allocation is "Page not found" here.

A session's id is made when its form is shown, so a form sent twice records one session.

(Longer than most modules: one allocation's pages and the table of its steps' forms, read
together.)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from web import forms, pages, words
from web.backends import Backends, Conflict, Invalid, NotFound
from web.forms import Question
from web.plan.sections import line_name
from web.plan.wording import provision_sentence
from web.signin import BadForm, User, checked_form, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Practitioner = Annotated[User, with_role("specialist")]

END_REASONS = words.CLOSE_REASONS
"""An allocation ends for the reasons a referral closes (``shared.events.EndReason``)."""


@dataclass(frozen=True)
class Action:
    """A step on an allocation, asked on a page of its own."""

    heading: str
    questions: tuple[Question, ...]
    button: str
    done: str
    """The success banner."""


ACTIONS = {
    "first-session": Action(
        "Arrange the first session",
        (
            Question(
                "session_on",
                "Day of the first session",
                "date",
                hint="The family and the council see it on the child's timeline, and the "
                "family is told. For example, 8 3 2027.",
            ),
        ),
        "Save the day",
        "The first session's day was saved and the family will be told",
    ),
    "sessions": Action(
        "Record a session given",
        (
            Question(
                "given_on", "Day the session was given", "date", hint="For example, 8 3 2027."
            ),
            Question("minutes", "How long it lasted, in minutes", "text", hint="For example, 45."),
            Question(
                "provision_id",
                "The plan's provision it delivered",
                "text",
                hint="The line's id in section F of the child's plan, for example provision-1.",
            ),
        ),
        "Record the session",
        "The session was recorded",
    ),
    "end": Action(
        "End the support",
        (Question("reason", "Why is the support ending?", "radios", options=END_REASONS),),
        "End the support",
        "The support was ended: its place goes to the next child waiting",
    ),
}


def _backends(request: Request) -> Backends:
    return state_of(request).backends


@router.get("/practitioner")
async def caseload(request: Request, user: Practitioner, ended: str | None = None) -> Response:
    cases = await _backends(request).get(
        "specialists",
        "/v1/caseload",
        token=user.access_token,
        params={"ended": "true"} if ended == "yes" else None,
    )
    return pages.render(
        request,
        "practitioner/caseload.html",
        cases=cases,
        ended=ended == "yes",
        words=words,
        banner=request.scope["web.session"].data.pop("banner", None),
    )


@router.get("/practitioner/{allocation_id}")
async def allocation(request: Request, allocation_id: UUID, user: Practitioner) -> Response:
    case = await _case(request, user, allocation_id)
    return pages.render(
        request,
        "practitioner/allocation.html",
        case=case,
        words=words,
        end_reasons=END_REASONS,
        provision_choice=provision_choice,
        banner=request.scope["web.session"].data.pop("banner", None),
        problem=request.scope["web.session"].data.pop("problem", None),
    )


@router.post("/practitioner/{allocation_id}/accept")
async def accept(request: Request, allocation_id: UUID, user: Practitioner) -> Response:
    await checked_form(request)
    try:
        await _backends(request).post(
            "specialists", f"/v1/caseload/{allocation_id}/accept", token=user.access_token
        )
    except Conflict as exc:
        return _back(request, allocation_id, forms.plain(exc.detail), key="problem")
    return _back(request, allocation_id, "You took the child on: arrange the first session next")


def asked_of(case: dict[str, Any], action: Action) -> Action:
    """A session's form asks which of the plan's provision lines it delivered, as a choice
    of the lines the practitioner's role delivers, when plans sent them (else by the line's
    id, as for a plan drafted before they were sent)."""
    lines = case.get("provision") or []
    if not lines:
        return action
    choice = Question(
        "provision_id",
        "The plan's provision it delivered",
        "radios",
        options={line["id"]: provision_choice(line) for line in lines},
    )
    questions = tuple(choice if q.name == "provision_id" else q for q in action.questions)
    return replace(action, questions=questions)


def provision_choice(line: dict[str, Any]) -> str:
    """ "Provision 1 (section F): a language programme. Once a week, 30 minutes each time..."."""
    said = f"{line_name(line['id'])} (section {line['section']}): {line['support']}."
    return f"{said} {provision_sentence(line)}"


@router.get("/practitioner/{allocation_id}/{slug}")
async def action_form(
    request: Request, allocation_id: UUID, slug: str, user: Practitioner
) -> Response:
    case = await _case(request, user, allocation_id)
    action = asked_of(case, _action(slug))
    return _form(request, case, slug, action, forms.Answers({}), session_id=str(uuid.uuid4()))


@router.post("/practitioner/{allocation_id}/{slug}")
async def take_action(
    request: Request, allocation_id: UUID, slug: str, user: Practitioner
) -> Response:
    form = await checked_form(request)
    case = await _case(request, user, allocation_id)
    action = asked_of(case, _action(slug))
    body, answers = forms.read(action.questions, form)
    session_id = str(form.get("session_id") or "")
    if slug == "sessions":
        try:
            body["id"] = str(uuid.UUID(session_id))
        except ValueError as exc:  # the form did not come from its page
            raise BadForm from exc
    if answers.errors:
        return _form(request, case, slug, action, answers, session_id=session_id)
    try:
        await _backends(request).post(
            "specialists",
            f"/v1/caseload/{allocation_id}/{slug}",
            token=user.access_token,
            json=body,
        )
    except Invalid as exc:
        forms.from_api(answers, action.questions, exc.errors)
        return _form(request, case, slug, action, answers, session_id=session_id)
    except Conflict as exc:
        answers.general.append(forms.plain(exc.detail))
        return _form(request, case, slug, action, answers, session_id=session_id, status=409)
    return _back(request, allocation_id, action.done)


def _action(slug: str) -> Action:
    found = ACTIONS.get(slug)
    if found is None:
        raise NotFound(slug)
    return found


async def _case(request: Request, user: User, allocation_id: UUID) -> dict[str, Any]:
    """The allocation, if it is the practitioner's ("Page not found" else, from the API)."""
    case: dict[str, Any] = await _backends(request).get(
        "specialists", f"/v1/caseload/{allocation_id}", token=user.access_token
    )
    return case


def _form(
    request: Request,
    case: dict[str, Any],
    slug: str,
    action: Action,
    answers: forms.Answers,
    *,
    session_id: str,
    status: int | None = None,
) -> Response:
    return pages.render(
        request,
        "practitioner/action.html",
        status_code=answers.status(status),
        case=case,
        action=action,
        answers=answers,
        errors=answers.summary(action.questions),
        form_action=f"/practitioner/{case['allocation_id']}/{slug}",
        session_id=session_id if slug == "sessions" else None,
    )


def _back(request: Request, allocation_id: UUID, said: str, *, key: str = "banner") -> Response:
    """Back to the allocation's page, with what was done (``banner``) or why not
    (``problem``) in its notification banner."""
    request.scope["web.session"].data[key] = said
    return RedirectResponse(f"/practitioner/{allocation_id}", status_code=303)
