"""``/live-plans/transfer-in``: a caseworker takes over a plan another council transferred
(Reg 15), recording it as referrals' ``POST /v1/live-plans/transfers-in`` takes it, rather
than through the API. One page, its questions in fieldsets (the old council and the day; the
child; the family contact; the needs; the plan); no JavaScript. The form is sent with an
``Idempotency-Key`` made when it was shown, so a form sent twice records the plan once.

The API names a bad field by its place in the body (``plan.child.date_of_birth``); ``FIELDS``
maps each place back to the form's field, so the error summary links to the box to correct.
On success the child's referral page says by when the family is told and the review is due.

(Longer than most modules: one page's questions, their mapping from the API's places, and
the answers' body, read and changed together.)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from web import councils, forms, pages, words
from web.backends import Backends, Conflict, Invalid
from web.forms import Question
from web.pages import long_date
from web.signin import User, checked_form, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Caseworker = Annotated[User, with_role("caseworker", "manager")]

PATH = "/live-plans/transfer-in"
API = "/v1/live-plans/transfers-in"
DATE_HINT = "For example, 27 3 2026"
CHANNELS = {"email": "Email", "sms": "Text message"}
"""A letter needs the family's postal address, which this form does not ask for (yet)."""
FORMATS = {
    "from_council": "must be E and 8 digits, for example E08000032",
    "case_id": "must be letters, digits and . _ / - only, 64 at most",
    "setting": "must be a URN (6 digits) or a UKPRN (8 digits starting 1)",
}
"""What a field must look like, said instead of pydantic's pattern (a regular expression)."""
CONTACT_PARTS = {"email": "email", "sms": "phone"}
"""The family contact's own check names the channel whose detail is missing: its field."""


@dataclass(frozen=True)
class Group:
    """The questions of one fieldset, under its legend."""

    legend: str
    questions: tuple[Question, ...]


GROUPS = (
    Group(
        "The transfer",
        (
            Question(
                "from_council",
                "The council that transferred the plan",
                "text",
                hint="Its ONS code: E and 8 digits, for example E08000032",
            ),
            Question("transferred_on", "Date of the transfer", "date", hint=DATE_HINT),
            Question(
                "case_id",
                "This council's case reference",
                "text",
                hint="Letters, digits and . _ / - only. Left blank, the service makes one.",
                required=False,
            ),
        ),
    ),
    Group(
        "The child",
        (
            Question("child_given_name", "Child's given name", "text"),
            Question("child_family_name", "Child's family name", "text"),
            Question("child_date_of_birth", "Child's date of birth", "date", hint=DATE_HINT),
            Question(
                "child_nhs_number",
                "Child's NHS number",
                "text",
                hint="10 digits, for example 485 777 3456",
                required=False,
            ),
            Question("child_postcode", "Child's postcode", "text"),
        ),
    ),
    Group(
        "The family contact",
        (
            Question("contact_name", "Contact's full name", "text"),
            Question(
                "contact_email",
                "Contact's email address",
                "text",
                hint="An email address or a phone number, or both",
                required=False,
            ),
            Question("contact_phone", "Contact's phone number", "text", required=False),
            Question(
                "contact_preferred_channel",
                "How the family prefers to be told",
                "radios",
                options=CHANNELS,
            ),
        ),
    ),
    Group(
        "The child's needs",
        (
            Question("primary_need", "Primary need", "select", options=words.NEEDS),
            Question(
                "secondary_need",
                "Secondary need",
                "select",
                options=words.NEEDS,
                hint="As SEN2 records it: the next need in rank order, if any",
                required=False,
            ),
        ),
    ),
    Group(
        "The plan",
        (
            Question(
                "issued_on",
                "Date the plan was issued",
                "date",
                hint="The plan or its latest amended version. " + DATE_HINT,
            ),
            Question(
                "last_reviewed_on",
                "Date of the last review meeting",
                "date",
                hint=DATE_HINT,
                required=False,
            ),
            Question(
                "setting",
                "The named school or setting",
                "text",
                hint="Its URN (6 digits) or, for a college, its UKPRN (8 digits starting 1)",
                required=False,
            ),
        ),
    ),
)
QUESTIONS = tuple(q for group in GROUPS for q in group.questions)

FIELDS: dict[tuple[str | int, ...], str] = {
    ("from_council",): "from_council",
    ("transferred_on",): "transferred_on",
    ("plan", "case_id"): "case_id",
    ("plan", "child", "given_name"): "child_given_name",
    ("plan", "child", "family_name"): "child_family_name",
    ("plan", "child", "date_of_birth"): "child_date_of_birth",
    ("plan", "child", "nhs_number"): "child_nhs_number",
    ("plan", "child", "postcode"): "child_postcode",
    ("plan", "family_contact"): "contact_email",  # reachable: an email or a phone
    ("plan", "family_contact", "name"): "contact_name",
    ("plan", "family_contact", "email"): "contact_email",
    ("plan", "family_contact", "phone"): "contact_phone",
    ("plan", "family_contact", "preferred_channel"): "contact_preferred_channel",
    ("plan", "needs"): "primary_need",
    ("plan", "needs", 0): "primary_need",
    ("plan", "needs", 1): "secondary_need",
    ("plan", "issued_on"): "issued_on",
    ("plan", "last_reviewed_on"): "last_reviewed_on",
    ("plan", "setting_urn"): "setting",
    ("plan", "setting_ukprn"): "setting",
}
"""The API's place of a field in the body (``loc`` less ``body``) -> the form's field."""


def field_of(loc: tuple[Any, ...]) -> str | None:
    """The form's field an API problem is about: the longest known place that ``loc`` starts
    with (``plan.child.postcode.xyz`` is the postcode); None: the page's, in no one box."""
    place = tuple(part for part in loc if part != "body")
    for end in range(len(place), 0, -1):
        if place[:end] in FIELDS:
            return FIELDS[place[:end]]
    return None


def worded(errors: list[tuple[tuple[Any, ...], str]]) -> list[tuple[tuple[Any, ...], str]]:
    """The API's problems as the form says them: the family contact's (``sms: needed for the
    preferred channel``) on the box it is about, and a pattern as what the field must be."""
    said: list[tuple[tuple[Any, ...], str]] = []
    for loc, message in errors:
        message = message.removeprefix("Value error, ")
        place = tuple(part for part in loc if part != "body")
        channel, _, why = message.partition(": ")
        if place == ("plan", "family_contact") and channel in CONTACT_PARTS and why:
            loc = (*place, CONTACT_PARTS[channel])
            message = f"is {why}" if why.startswith("needed") else why
        field = field_of(loc)
        if message.startswith("String should match pattern") and field in FORMATS:
            message = FORMATS[field]
        said.append((loc, message))
    return said


def body_of(answers: dict[str, Any], council: str, key: str) -> dict[str, Any]:
    """The API's body from the form's answers, for the council the caseworker acts for (a
    blank case reference: one made from the form's key, the same each time it is sent)."""
    child = {
        "given_name": answers.get("child_given_name"),
        "family_name": answers.get("child_family_name"),
        "date_of_birth": answers.get("child_date_of_birth"),
        "postcode": answers.get("child_postcode"),
    }
    if answers.get("child_nhs_number"):
        child["nhs_number"] = answers["child_nhs_number"]
    contact = {
        "name": answers.get("contact_name"),
        "preferred_channel": answers.get("contact_preferred_channel"),
    }
    for name in ("email", "phone"):
        if answers.get(f"contact_{name}"):
            contact[name] = answers[f"contact_{name}"]
    needs = [answers["primary_need"]] if answers.get("primary_need") else []
    if answers.get("secondary_need"):
        needs.append(answers["secondary_need"])
    plan: dict[str, Any] = {
        "case_id": answers.get("case_id") or f"TRANSFER-{key}",
        "local_authority": council,
        "child": child,
        "family_contact": contact,
        "needs": needs,
        "issued_on": answers.get("issued_on"),
    }
    if answers.get("last_reviewed_on"):
        plan["last_reviewed_on"] = answers["last_reviewed_on"]
    setting = str(answers.get("setting") or "").replace(" ", "")
    if setting:
        ukprn = len(setting) == 8 and setting.startswith("1")
        plan["setting_ukprn" if ukprn else "setting_urn"] = setting
    return {
        "plan": plan,
        "from_council": str(answers.get("from_council", "")).upper(),
        "transferred_on": answers.get("transferred_on"),
    }


def taken_over(view: dict[str, Any]) -> str:
    """The banner on the child's referral page once the plan is recorded."""
    return (
        f"Plan taken over from {view['from_council']}: tell the family by "
        f"{long_date(view['decide_by'])} whether you will carry out a new EHC needs "
        f"assessment; the annual review is due by {long_date(view['review_due'])}"
    )


@router.get(PATH)
async def transfer_form(request: Request, user: Caseworker) -> Response:
    council = councils.chosen(request, user)
    return _page(request, council, forms.Answers({}), str(uuid.uuid4()))


@router.post(PATH)
async def take_over(request: Request, user: Caseworker) -> Response:
    council = councils.chosen(request, user)
    form = await checked_form(request)
    answers_body, answers = forms.read(QUESTIONS, form)
    key = _key(form.get("idempotency_key"))
    if answers.errors:
        return _page(request, council, answers, key)
    backends: Backends = state_of(request).backends
    try:
        view = await backends.post(
            "referrals",
            API,
            token=user.access_token,
            json=body_of(answers_body, council, key),
            headers={"Idempotency-Key": key},
        )
    except Invalid as exc:
        forms.from_api(answers, QUESTIONS, worded(exc.errors), field_of=field_of)
        return _page(request, council, answers, key)
    except Conflict as exc:  # the case is a plan here already: nothing was recorded
        answers.general.append(forms.plain(exc.detail))
        return _page(request, council, answers, str(uuid.uuid4()), status_code=409)
    request.scope["web.session"].data["banner"] = taken_over(view)
    return RedirectResponse(f"/referrals/{view['referral_id']}", status_code=303)


def _key(sent: Any) -> str:
    """The form's key as it was shown (one that is not a UUID: a new one)."""
    try:
        return str(uuid.UUID(str(sent)))
    except ValueError:
        return str(uuid.uuid4())


def _page(
    request: Request,
    council: str,
    answers: forms.Answers,
    key: str,
    *,
    status_code: int | None = None,
) -> Response:
    return pages.render(
        request,
        "caseworker/transfer_in.html",
        status_code=answers.status(status_code),
        groups=GROUPS,
        answers=answers,
        errors=answers.summary(QUESTIONS),
        idempotency_key=key,
        council=council,
        council_name=councils.name(request, council),
        action=f"{PATH}?council={council}",
    )
