"""Moving a plan on, each step a confirmation form: share it with the family (support),
issue the draft for the family's comments and issue the final plan (EHC), record a review.

Each form carries the version the caseworker read; the plans service refuses a step on a
plan that changed since (409), and a step that does not fit where the plan stands (409, in
its words). Sent twice (a double click, the back button), the second is refused that way:
the page says what the plan is now and who changed it, and nothing happens twice.

(Longer than most modules: mostly the table of steps, one entry a form, read as a list.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from web import forms
from web.backends import Backends, Conflict, Invalid, NotFound, together
from web.forms import Question
from web.pages import long_date
from web.plan import wording
from web.plan.view import shown
from web.signin import BadForm, User, checked_form, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Caseworker = Annotated[User, with_role("caseworker", "manager")]


@dataclass(frozen=True)
class PlanStep:
    """One step: its page, its questions, where it is sent, when it is offered and what the
    caseworker is told once it is done."""

    slug: str
    heading: str
    questions: tuple[Question, ...]
    done: str
    button: str
    intro: str
    track: str | None
    offered: frozenset[str]
    """The statuses the plan page offers it in (the plans service decides)."""


STEPS: dict[str, PlanStep] = {
    s.slug: s
    for s in (
        PlanStep(
            "share",
            "Share the plan with the family",
            (),
            "The plan was shared with the family",
            "Share the plan",
            "The family reads it through the link in their messages, and agrees or asks for "
            "changes. A plan that fails a quality check cannot be shared.",
            "support",
            frozenset({"draft", "changes_requested"}),
        ),
        PlanStep(
            "issue",
            "Issue the draft plan for the family's comments",
            (
                Question(
                    "comments_until",
                    "Date the family's comments are due",
                    "date",
                    required=False,
                    hint="Leave it empty for 15 days from today: never fewer.",
                ),
            ),
            "The draft plan was issued for the family's comments",
            "Issue the draft plan",
            "Only after the council decided to issue a plan. The family can comment, ask for "
            "a school or college and ask to meet.",
            "ehc",
            frozenset({"draft"}),
        ),
        PlanStep(
            "finalise",
            "Issue the final plan",
            (
                Question(
                    "late_reason",
                    "Why the final plan is late",
                    "textarea",
                    required=False,
                    hint="Only after its statutory date: it is kept with the plan.",
                ),
                Question(
                    "phase_ends_on",
                    "When the child's current phase of education ends",
                    "date",
                    required=False,
                    hint="Only if it ends before the next review (within 12 months), for "
                    "example when the child moves from primary to secondary school: the "
                    "outcomes then run to it. For example, 21 7 2027.",
                ),
            ),
            "The final plan was issued",
            "Issue the final plan",
            "After the family's comment period, or once they say they have no more comments.",
            "ehc",
            frozenset({"issued_for_comment"}),
        ),
        PlanStep(
            "reviewed",
            "Record the plan's review",
            (Question("reason", "What the review decided", "textarea"),),
            "The review was recorded",
            "Record the review",
            "The next review date is set from the plan.",
            None,
            frozenset({"agreed", "final", "review_due"}),
        ),
    )
}


def offered(plan: dict[str, Any]) -> list[PlanStep]:
    """The steps the plan page offers for the plan as it stands."""
    return [
        s
        for s in STEPS.values()
        if plan["status"] in s.offered and s.track in (None, plan["track"])
    ]


def _step(slug: str) -> PlanStep:
    if slug not in STEPS:
        raise NotFound(slug)
    return STEPS[slug]


def _page(
    request: Request,
    referral_id: UUID,
    step: PlanStep,
    version: int,
    answers: forms.Answers,
    *,
    status_code: int = 200,
) -> Response:
    return shown(
        request,
        "plan/step.html",
        referral_id,
        status_code=status_code,
        step=step,
        version=version,
        answers=answers,
        errors=answers.summary(step.questions),
    )


@router.get("/referrals/{referral_id}/plan/steps/{slug}")
async def step_form(request: Request, referral_id: UUID, slug: str, user: Caseworker) -> Response:
    step = _step(slug)
    plan = await state_of(request).backends.get(
        "plans", f"/v1/referrals/{referral_id}/plan", token=user.access_token
    )
    return _page(request, referral_id, step, plan["version"], forms.Answers({}))


@router.post("/referrals/{referral_id}/plan/steps/{slug}")
async def take_step(request: Request, referral_id: UUID, slug: str, user: Caseworker) -> Response:
    step = _step(slug)
    form = await checked_form(request)
    try:
        version = int(str(form.get("version", "")))
    except ValueError as exc:
        raise BadForm from exc
    body, answers = forms.read(step.questions, form)
    if answers.errors:
        return _page(request, referral_id, step, version, answers, status_code=422)
    backends: Backends = state_of(request).backends
    path = f"/v1/referrals/{referral_id}/plan"
    try:
        plan = await backends.post(
            "plans", f"{path}/{slug}", token=user.access_token, json={**body, "version": version}
        )
    except Invalid as exc:
        forms.from_api(answers, step.questions, exc.errors)
        return _page(request, referral_id, step, version, answers, status_code=422)
    except Conflict as exc:
        now, listed = await together(
            backends.get("plans", path, token=user.access_token),
            backends.get("plans", f"{path}/versions", token=user.access_token),
        )
        answers.general.append(_refused(exc.detail, version, now, listed))
        return _page(request, referral_id, step, now["version"], answers, status_code=409)
    request.scope["web.session"].data["banner"] = _done(step, plan)
    return RedirectResponse(f"/referrals/{referral_id}/plan", status_code=303)


def _refused(detail: str, version: int, now: dict[str, Any], listed: list[dict[str, Any]]) -> str:
    """Why the step was refused, in words: the plan changed since it was read (by whom, to
    what), or the service's reason."""
    if now["version"] == version:
        return forms.plain(detail)
    last = listed[-1] if listed else {}
    who = f" by {last['changed_by']}" if last.get("changed_by") else ""
    return (
        f"The plan changed since you opened this page: it is now version {now['version']}"
        f"{who} ({wording.status(now['status'])[0].lower()}). Check the plan, then try again "
        "if it is still needed."
    )


def _done(step: PlanStep, plan: dict[str, Any]) -> str:
    said = step.done
    if step.slug == "issue" and plan.get("comments_until"):
        said += f": they may comment until {long_date(plan['comments_until'])}"
    if step.slug == "reviewed" and plan.get("review_due_on"):
        said += f": the next review is due by {long_date(plan['review_due_on'])}"
    warnings = [forms.plain(w) for w in plan.get("warnings") or []]
    return ". ".join([said, *warnings])
