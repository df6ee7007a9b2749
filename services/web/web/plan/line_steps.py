"""The EHC plan's steps on one line, each a form: confirm a line the catalogue suggested
(having read it beside the advice received: the plan is built from the assessment, line by
line), and record the health commissioning body's agreement to a line of health provision
(section G, s42(3)). The plans service refuses the draft's issue until both are done.

Like the plan's other steps, each form carries the version read: a plan changed since, or a
line that is not one the step is for, is refused (409) and said in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from web import forms
from web.backends import Backends, Conflict, Invalid, NotFound
from web.forms import Question
from web.plan.moving import Caseworker
from web.plan.sections import SECTIONS, line_name
from web.plan.view import shown
from web.signin import BadForm, checked_form
from web.state import state_of

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class LineStep:
    slug: str
    heading: str
    intro: str
    button: str
    done: str
    questions: tuple[Question, ...]
    sections: tuple[str, ...]
    """The sections whose lines it is for."""


STEPS = {
    s.slug: s
    for s in (
        LineStep(
            "confirm",
            "Confirm a suggested line",
            "The catalogue suggested this line. Confirm it only if the advice received supports "
            "it; otherwise change the section first. The plan cannot be issued until every "
            "suggested line is confirmed.",
            "Confirm this line",
            "confirmed",
            (),
            ("E", "F", "G"),
        ),
        LineStep(
            "health-agreement",
            "Record the health commissioning body's agreement",
            "Health provision goes in section G only once the health commissioning body has "
            "agreed to arrange it (Children and Families Act 2014, section 42(3)).",
            "Record the agreement",
            "recorded as agreed by the health commissioning body",
            (
                Question(
                    "agreed_by",
                    "The health commissioning body that agreed",
                    "text",
                    hint="For example, NHS West Yorkshire Integrated Care Board",
                ),
                Question("agreed_on", "The date it agreed", "date", hint="For example, 27 3 2027"),
            ),
            ("G",),
        ),
    )
}


def _line(plan: dict[str, Any], step: LineStep, line_id: str) -> tuple[str, dict[str, Any]]:
    for key in step.sections:
        for line in plan["sections"].get(key) or []:
            if line.get("id") == line_id:
                return key, line
    raise NotFound(line_id)


def _page(
    request: Request,
    referral_id: UUID,
    plan: dict[str, Any],
    step: LineStep,
    line_id: str,
    answers: forms.Answers,
    *,
    version: int | None = None,
    status_code: int = 200,
) -> Response:
    key, line = _line(plan, step, line_id)
    return shown(
        request,
        "plan/line_step.html",
        referral_id,
        status_code=status_code,
        step=step,
        section=SECTIONS[key],
        line=line,
        name=line_name(line_id),
        advice=plan["sections"].get("K") or [],
        version=version or plan["version"],
        answers=answers,
        errors=answers.summary(step.questions),
    )


def _step(slug: str) -> LineStep:
    if slug not in STEPS:
        raise NotFound(slug)
    return STEPS[slug]


async def _plan(request: Request, referral_id: UUID, user: Caseworker) -> dict[str, Any]:
    found: dict[str, Any] = await state_of(request).backends.get(
        "plans", f"/v1/referrals/{referral_id}/plan", token=user.access_token
    )
    return found


@router.get("/referrals/{referral_id}/plan/lines/{line_id}/{slug}")
async def line_form(
    request: Request, referral_id: UUID, line_id: str, slug: str, user: Caseworker
) -> Response:
    step = _step(slug)
    plan = await _plan(request, referral_id, user)
    return _page(request, referral_id, plan, step, line_id, forms.Answers({}))


@router.post("/referrals/{referral_id}/plan/lines/{line_id}/{slug}")
async def take_line_step(
    request: Request, referral_id: UUID, line_id: str, slug: str, user: Caseworker
) -> Response:
    step = _step(slug)
    form = await checked_form(request)
    try:
        version = int(str(form.get("version", "")))
    except ValueError as exc:
        raise BadForm from exc
    body, answers = forms.read(step.questions, form)
    plan = await _plan(request, referral_id, user)
    if answers.errors:
        return _page(
            request, referral_id, plan, step, line_id, answers, version=version, status_code=422
        )
    backends: Backends = state_of(request).backends
    try:
        await backends.post(
            "plans",
            f"/v1/referrals/{referral_id}/plan/lines/{line_id}/{slug}",
            token=user.access_token,
            json={**body, "version": version},
        )
    except Invalid as exc:
        forms.from_api(answers, step.questions, exc.errors)
        return _page(
            request, referral_id, plan, step, line_id, answers, version=version, status_code=422
        )
    except Conflict as exc:
        if plan["version"] != version:
            answers.general.append(
                f"The plan changed since you opened this page: it is now version "
                f"{plan['version']}. Check the line, then try again if it is still needed."
            )
        else:
            answers.general.append(forms.plain(exc.detail))
        return _page(request, referral_id, plan, step, line_id, answers, status_code=409)
    request.scope["web.session"].data["banner"] = f"{line_name(line_id)} was {step.done}"
    return RedirectResponse(f"/referrals/{referral_id}/plan#{line_id}", status_code=303)
