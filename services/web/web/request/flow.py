"""The public request form's questions, one a page (GOV.UK "one thing per page"), and the
request they make. Pure: no I/O, no web framework.

A ``Flow`` is its pages in order; a page is asked only when its ``when`` holds for the answers
so far (a young person is asked about sharing; an email address only of someone who chose
email). The next page is the first one asked and not answered yet, so a change made from
"check your answers" comes back there once everything it brought in is answered. Another
form (a school's, signed in) can be another ``Flow`` of the same pages.

(Longer than most modules: mostly the table of pages, one entry a question, read as the form
reads, and the map of the API's fields back to them.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from web.forms import Question

Saved = Mapping[str, Any]
"""The answers kept in the session: each question's value as its page shows it again."""


@dataclass(frozen=True)
class Page:
    """One question (or one thing asked in a few boxes, such as a name) on its own page."""

    slug: str
    heading: str
    questions: tuple[Question, ...]
    summary: str
    """What "check your answers" calls it."""
    when: Callable[[Saved], bool] = field(default=lambda _: True)
    hint: str | None = None

    def answered(self, saved: Saved) -> bool:
        return all(q.name in saved for q in self.questions)


@dataclass(frozen=True)
class Flow:
    pages: tuple[Page, ...]

    def asked(self, saved: Saved) -> list[Page]:
        return [p for p in self.pages if p.when(saved)]

    def page(self, slug: str) -> Page | None:
        return next((p for p in self.pages if p.slug == slug), None)

    def next_after(self, saved: Saved) -> Page | None:
        """The first page asked and not answered yet; None: time to check the answers."""
        return next((p for p in self.asked(saved) if not p.answered(saved)), None)

    def before(self, slug: str, saved: Saved) -> Page | None:
        """The page asked before ``slug`` (the back link), None for the first."""
        asked = self.asked(saved)
        slugs = [p.slug for p in asked]
        if slug not in slugs:
            return None
        index = slugs.index(slug)
        return asked[index - 1] if index else None

    def page_of(self, name: str) -> Page | None:
        """The page that asks the question ``name``."""
        return next((p for p in self.pages if any(q.name == name for q in p.questions)), None)


WHO = {
    "parent": "I am the child's parent or carer",
    "young_person": "I am a young person asking for myself (16 to 25)",
    "school": "I work at the child's school or college",
}
KIND = {
    "support": "Help and support for the child or young person",
    "ehc": "An education, health and care (EHC) needs assessment",
}
NEEDS = {
    "SLCN": "Speaking, listening or understanding",
    "ASD": "Autism",
    "MLD": "Learning, such as reading, writing or numbers",
    "SPLD": "A specific difficulty, such as dyslexia",
    "SEMH": "Feelings, behaviour or mental health",
    "HI": "Hearing",
    "VI": "Seeing",
    "PD": "Moving, or a physical disability",
    "OTH": "Something else, or I am not sure",
}
"""What the requester says is hardest, in their words, as the SEN2 code the request carries
(the council decides the need: a caseworker can change it)."""
CHANNELS = {"email": "Email", "sms": "Text message"}
CONSENT = {
    "given": "Yes, you can share it with the people who help me",
    "refused": "No, do not share it",
}


def _is(name: str, *values: str) -> Callable[[Saved], bool]:
    return lambda saved: saved.get(name) in values


def _own(saved: Saved) -> bool:
    return saved.get("requested_by") == "young_person"


PAGES = (
    Page(
        "who",
        "Who is asking for help?",
        (Question("requested_by", "Who is asking", "radios", WHO),),
        "Who is asking",
    ),
    Page(
        "council",
        "Which council area does the child or young person live in?",
        (Question("local_authority", "Council area", "radios"),),  # options: the councils served
        "Council area",
    ),
    Page(
        "kind",
        "What are you asking for?",
        (
            Question(
                "track",
                "What you are asking for",
                "radios",
                KIND,
                hint="Help and support starts at once. An EHC needs assessment can lead to an "
                "education, health and care plan: the council must decide within 6 weeks "
                "whether to carry one out.",
            ),
        ),
        "Asking for",
    ),
    Page(
        "name",
        "What is the child or young person's name?",
        (
            Question("given_name", "First name", "text"),
            Question("family_name", "Last name", "text"),
        ),
        "Name",
    ),
    Page(
        "date-of-birth",
        "What is their date of birth?",
        (Question("date_of_birth", "Date of birth", "date", hint="For example, 27 3 2019"),),
        "Date of birth",
    ),
    Page(
        "postcode",
        "What is their home postcode?",
        (Question("postcode", "Postcode", "text"),),
        "Postcode",
    ),
    Page(
        "nhs-number",
        "What is their NHS number?",
        (
            Question(
                "nhs_number",
                "NHS number",
                "text",
                required=False,
                hint="A 10 digit number, like 485 777 3456. Leave it empty if you do not know it.",
            ),
        ),
        "NHS number",
    ),
    Page(
        "need",
        "What do they find hardest?",
        (Question("primary_need", "What they find hardest", "radios", NEEDS),),
        "Finds hardest",
    ),
    Page(
        "about",
        "Tell us about their difficulties",
        (
            Question(
                "difficulties",
                "Their difficulties",
                "textarea",
                required=False,
                hint="What is hard for them, at home and at school or college, and what has "
                "been tried.",
            ),
        ),
        "Difficulties",
    ),
    Page(
        "evidence",
        "Upload evidence (optional)",
        (Question("evidence", "Evidence", "file", required=False),),
        "Evidence",
        hint="Such as a report from their nursery, school or a health professional. You do "
        "not need to send anything: the council asks the people who know the child.",
    ),
    Page(
        "sharing",
        "Can we share what you tell us with the people who help you?",
        (
            Question(
                "sharing_consent",
                "Sharing what you tell us",
                "radios",
                CONSENT,
                hint="Such as teachers, health workers and educational psychologists. It is "
                "your decision.",
            ),
        ),
        "Sharing",
        when=_own,
    ),
    Page(
        "contact-name",
        "What is your name?",
        (Question("contact_name", "Your name", "text"),),
        "Your name",
        when=lambda saved: not _is("requested_by", "school")(saved),
    ),
    Page(
        "family-name",
        "What is the parent's or carer's name?",
        (
            Question(
                "contact_name",
                "Parent's or carer's name",
                "text",
                hint="We send them a link to confirm the request, then news of it.",
            ),
        ),
        "Parent or carer",
        when=_is("requested_by", "school"),
    ),
    Page(
        "contact-by",
        "How should we contact you?",
        (Question("preferred_channel", "How we contact you", "radios", CHANNELS),),
        "Contact by",
    ),
    Page(
        "email",
        "What is your email address?",
        (Question("email", "Email address", "text"),),
        "Email address",
        when=_is("preferred_channel", "email"),
    ),
    Page(
        "phone",
        "What is your mobile phone number?",
        (Question("phone", "Mobile phone number", "text"),),
        "Mobile number",
        when=_is("preferred_channel", "sms"),
    ),
)
PUBLIC_FORM = Flow(PAGES)

SCHOOL_PAGE = Page(
    "school",
    "Which school or college are you from?",
    (
        Question(
            "school_urn",
            "Your school's or college's URN",
            "text",
            hint="Its 6-digit unique reference number, as on Get Information about Schools.",
        ),
    ),
    "School or college (URN)",
)
_SHORT = ("council", "kind", "name", "date-of-birth", "postcode", "need", "about")
SCHOOL_FORM = Flow(
    (
        *(p for p in PAGES if p.slug in _SHORT),
        SCHOOL_PAGE,
        *(p for p in PAGES if p.slug in ("family-name", "contact-by", "email", "phone")),
    )
)
"""The short form for a school or college without an account (the requester is the school,
not asked): the pupil, what is asked and why, the school, and the family to confirm it."""

API_FIELDS: dict[tuple[str, ...], str] = {
    ("local_authority",): "local_authority",
    ("requested_by",): "requested_by",
    ("track",): "track",
    ("primary_need",): "primary_need",
    ("sharing_consent",): "sharing_consent",
    ("child", "given_name"): "given_name",
    ("child", "family_name"): "family_name",
    ("child", "date_of_birth"): "date_of_birth",
    ("child", "postcode"): "postcode",
    ("child", "nhs_number"): "nhs_number",
    ("child", "school_urn"): "school_urn",
    ("about_the_child", "difficulties"): "difficulties",
    ("about_the_child",): "difficulties",
    ("family_contact", "name"): "contact_name",
    ("family_contact", "email"): "email",
    ("family_contact", "phone"): "phone",
    ("family_contact", "preferred_channel"): "preferred_channel",
    ("family_contact",): "contact_name",
    ("evidence",): "evidence",
}
"""Where each of the API's fields is asked (its 422's ``loc`` after ``body``)."""


def question_of(loc: tuple[str | int, ...]) -> str | None:
    """The question a 422's ``loc`` is about, or None (said at the top of the page)."""
    path = tuple(str(p) for p in loc if p != "body")
    for length in range(len(path), 0, -1):
        if path[:length] in API_FIELDS:
            return API_FIELDS[path[:length]]
    return None


EVIDENCE = "evidence"
"""The page (and the saved answer) of the files uploaded: each ``{"id", "filename"}``."""
MOST_EVIDENCE = 5
"""The most files one request carries (as referrals takes them)."""


def evidence_of(saved: Saved) -> list[dict[str, str]]:
    """The files uploaded so far, as the session keeps them."""
    found = saved.get(EVIDENCE)
    return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []


CHILD_FIELDS = (
    "given_name", "family_name", "date_of_birth", "postcode", "nhs_number", "school_urn",
)  # fmt: skip


def request_body(answers: Mapping[str, Any], honeypot: str) -> dict[str, Any]:
    """The request to referrals' public intake from the (read) answers of every page asked."""
    child = {
        k: answers[k]
        for k in (
            "given_name",
            "family_name",
            "date_of_birth",
            "postcode",
            "nhs_number",
            "school_urn",
        )
        if k in answers
    }
    contact = {k: answers[k] for k in ("email", "phone", "preferred_channel") if k in answers} | {
        "name": answers.get("contact_name", "")
    }
    body: dict[str, Any] = {
        k: answers[k]
        for k in ("local_authority", "requested_by", "track", "primary_need", "sharing_consent")
        if k in answers
    }
    body |= {"child": child, "family_contact": contact, "honeypot": honeypot}
    if answers.get("difficulties"):
        body["about_the_child"] = {"difficulties": answers["difficulties"]}
    if evidence := evidence_of(answers):
        body["evidence"] = [e["id"] for e in evidence]
    return body
