"""A school's SENCo's pages (role ``school``): their pupils' referrals, read only, and a request
for support or an EHC needs assessment for a pupil, over the referrals service's API with the
SENCo's own token. The service decides who their pupils are (the children whose referral
names one of their schools): any other referral is "Page not found" here.

A request's idempotency key is made when its form is shown, so a form sent twice makes one
request. A consultation about naming the school in a child's EHC plan is answered here too.

(Longer than most modules: a SENCo's few pages, each short, and the two forms' questions.)
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from shared.dates import london_today
from web import forms, pages, words
from web.backends import Backends, Conflict, Invalid, NotFound, together
from web.forms import Question
from web.signin import BadForm, User, checked_form, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Senco = Annotated[User, with_role("school")]

QUESTIONS = (
    Question(
        "track",
        "What are you asking for?",
        "radios",
        options={
            "support": "Support now: a plan and a specialist, with no statutory assessment",
            "ehc": "An EHC needs assessment (support starts at once too)",
        },
    ),
    Question("given_name", "Pupil's first name", "text"),
    Question("family_name", "Pupil's last name", "text"),
    Question("date_of_birth", "Pupil's date of birth", "date", hint="For example, 1 5 2019."),
    Question("postcode", "Pupil's home postcode", "text", hint="For example, LS6 2AB."),
    Question(
        "nhs_number", "Pupil's NHS number", "text", required=False, hint="10 digits, if known."
    ),
    Question(
        "school_urn",
        "Your school's URN",
        "text",
        required=False,  # the council's service checks it is one of yours, and says so
        hint="Its 6-digit unique reference number.",
    ),
    Question("primary_need", "The pupil's main need", "radios", options=words.NEEDS),
    Question("contact_name", "Parent or carer's name", "text"),
    Question(
        "contact_email",
        "Parent or carer's email address",
        "text",
        hint="We tell the family at this address where things stand.",
    ),
)

_CHILD = ("given_name", "family_name", "date_of_birth", "postcode", "nhs_number", "school_urn")
_FIELD_OF: dict[tuple[str, ...], str] = {
    **{("child", name): name for name in _CHILD},
    ("family_contact", "name"): "contact_name",
    ("family_contact", "email"): "contact_email",
}
"""Where the API's 422 ``loc`` points, as the form names its question."""


def _backends(request: Request) -> Backends:
    return state_of(request).backends


ANSWER = (
    Question(
        "answer",
        "Can the school meet the child's needs?",
        "radios",
        options={
            "can_meet_needs": "Yes, the school can meet the child's needs",
            "cannot_meet_needs": "No, the school cannot meet the child's needs",
        },
    ),
    Question(
        "reason",
        "Why not?",
        "textarea",
        required=False,
        hint="Needed if the school cannot meet the child's needs.",
    ),
)


@router.get("/school")
async def pupils(request: Request, user: Senco) -> Response:
    backends, token = _backends(request), user.access_token
    listed, consultations = await together(
        backends.get("referrals", "/v1/school/pupils", token=token),
        backends.get("referrals", "/v1/school/consultations", token=token),
    )
    return pages.render(
        request,
        "school/pupils.html",
        pupils=listed,
        consultations=consultations,
        words=words,
        banner=request.scope["web.session"].data.pop("banner", None),
    )


@router.get("/school/pupils/{referral_id}")
async def pupil(request: Request, referral_id: UUID, user: Senco) -> Response:
    path = f"/v1/school/pupils/{referral_id}"
    referral, documents = await together(
        _backends(request).get("referrals", path, token=user.access_token),
        _backends(request).get("referrals", f"{path}/documents", token=user.access_token),
    )
    return pages.render(
        request,
        "school/pupil.html",
        referral=referral,
        documents=documents,
        banner=request.scope["web.session"].data.pop("banner", None),
        reference=str(referral["id"])[:8].upper(),
        ehc=referral.get("ehc"),
        today=london_today(),
        words=words,
    )


@router.get("/school/request")
async def request_form(request: Request, user: Senco) -> Response:
    return _form(request, forms.Answers({"track": "support"}), key=str(uuid.uuid4()))


@router.post("/school/request")
async def send_request(request: Request, user: Senco) -> Response:
    form = await checked_form(request)
    try:
        key = str(uuid.UUID(str(form.get("idempotency_key"))))
    except ValueError as exc:  # the form did not come from its page
        raise BadForm from exc
    answers_body, answers = forms.read(QUESTIONS, form)
    if answers.errors:
        return _form(request, answers, key=key)
    council = user.councils[0]
    body = {
        "local_authority": council,
        "track": answers_body["track"],
        "requested_by": "school",
        "primary_need": answers_body["primary_need"],
        "child": {k: answers_body[k] for k in _CHILD if k in answers_body},
        "family_contact": {
            "name": answers_body["contact_name"],
            "email": answers_body["contact_email"],
        },
    }
    try:
        receipt = await _backends(request).post(
            "referrals",
            "/v1/referrals",
            token=user.access_token,
            json=body,
            headers={"Idempotency-Key": key},
        )
    except Invalid as exc:
        _errors(answers, exc.errors)
        return _form(request, answers, key=key)
    except Conflict as exc:
        answers.general.append(forms.plain(exc.detail))
        return _form(request, answers, key=key, status=409)
    reference = str(receipt["id"])[:8].upper()
    what = "assessment" if body["track"] == "ehc" else "support"
    request.scope["web.session"].data["banner"] = (
        f"Your request for {what} was received: its reference is {reference}"
    )
    return RedirectResponse("/school", status_code=303)


@router.get("/school/consultations/{consultation_id}")
async def consultation(request: Request, consultation_id: UUID, user: Senco) -> Response:
    found = await _consultation(request, user, consultation_id)
    return _answer_form(request, found, forms.Answers({}))


@router.post("/school/consultations/{consultation_id}")
async def answer_consultation(request: Request, consultation_id: UUID, user: Senco) -> Response:
    form = await checked_form(request)
    found = await _consultation(request, user, consultation_id)
    body, answers = forms.read(ANSWER, form)
    if answers.errors:
        return _answer_form(request, found, answers)
    try:
        await _backends(request).post(
            "referrals",
            f"/v1/school/consultations/{consultation_id}/answer",
            token=user.access_token,
            json=body,
        )
    except Invalid as exc:
        forms.from_api(answers, ANSWER, exc.errors)
        return _answer_form(request, found, answers)
    except Conflict as exc:
        answers.general.append(forms.plain(exc.detail))
        return _answer_form(request, found, answers, status=409)
    request.scope["web.session"].data["banner"] = (
        f"Your answer about referral {found['reference']} was sent to the council"
    )
    return RedirectResponse("/school", status_code=303)


async def _consultation(request: Request, user: User, consultation_id: UUID) -> dict[str, Any]:
    """One of the SENCo's schools' consultations ("Page not found" else)."""
    listed = await _backends(request).get(
        "referrals", "/v1/school/consultations", token=user.access_token
    )
    for found in listed:
        if found["id"] == str(consultation_id):
            return dict(found)
    raise NotFound(str(consultation_id))


def _answer_form(
    request: Request, found: dict[str, Any], answers: forms.Answers, *, status: int | None = None
) -> Response:
    return pages.render(
        request,
        "school/consultation.html",
        status_code=answers.status(status),
        consultation=found,
        questions=ANSWER,
        answers=answers,
        errors=answers.summary(ANSWER),
        words=words,
    )


def _errors(answers: forms.Answers, errors: list[tuple[tuple[Any, ...], str]]) -> None:
    """The API's 422 beside the question it is about (the child's and the contact's fields
    are nested in the API's body)."""
    flat = []
    for loc, message in errors:
        names = tuple(p for p in loc if isinstance(p, str) and p != "body")
        field = _FIELD_OF.get(names[:2]) or (names[0] if names else None)
        flat.append((("body", field) if field else loc, message))
    forms.from_api(answers, QUESTIONS, flat)


def _form(
    request: Request, answers: forms.Answers, *, key: str, status: int | None = None
) -> Response:
    return pages.render(
        request,
        "school/request.html",
        status_code=answers.status(status),
        questions=QUESTIONS,
        answers=answers,
        errors=answers.summary(QUESTIONS),
        idempotency_key=key,
    )
