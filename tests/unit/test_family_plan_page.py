"""The workspace's family plan page, rendered from plans' family JSON (the contract between
them: ``FamilyPlanAnswer`` as plans serialises it): every section an EHC plan has, in the
Regulation 12 order, headings in order under one h1, what people wrote escaped (never markup),
and the comment form with the date comments are due and, for an EHC plan, the school."""

from __future__ import annotations

import re
from datetime import date
from itertools import pairwise
from typing import Any
from uuid import uuid4

from plans.document import Adviser
from plans.family.page import FamilyPlanAnswer
from plans.family.shapes import HEADINGS, Council, FamilyPlan, lettered
from plans.family.view import family_plan
from web.config import CouncilContact
from web.family.plan import comment_questions
from web.forms import Answers
from web.pages import templates

from tests.plan_documents import plans_by_area


def _answer(track: str) -> dict[str, Any]:
    """Plans' JSON for an EHC plan issued for comments (or a shared support plan)."""
    area = "sensory-and-physical" if track == "ehc" else "communication-and-interaction"
    document = plans_by_area()[area].model_copy(
        update={
            "A": "Likes <script>alert('x')</script> dinosaurs",
            "C": "Wears hearing aids in both ears.",
            "D": "No social care needs.",
            "H1": "None.",
            "H2": "A youth club place on Saturdays.",
            "I": "Named in the final plan.",
            "J": "No personal budget was asked for.",
            "K": [Adviser(kind="educational_psychologist", received_on=date(2027, 1, 12))],
        }
        if track == "ehc"
        else {}
    )
    row = {
        "status": "issued_for_comment" if track == "ehc" else "shared",
        "sections": document.model_dump(mode="json"),
        "created_at": "2027-02-01T09:00:00+00:00",
        "comments_until": "2027-02-16" if track == "ehc" else None,
    }
    shown = family_plan(row, uuid4(), Council("Leeds City Council"))
    assert isinstance(shown, FamilyPlan)
    answer = FamilyPlanAnswer(
        reference=shown.reference,
        local_authority="E08000035",
        council=shown.council,
        plan=shown,
        title=shown.title,
    )
    found: dict[str, Any] = answer.model_dump(mode="json")
    return found


def _page(answer: dict[str, Any], answers: Answers | None = None) -> str:
    plan = answer["plan"]
    questions = comment_questions(ehc=plan["track"] == "ehc")
    answers = answers or Answers({})
    return templates.env.get_template("family/plan.html").render(
        user=None, roles=set(), csrf="token", current="/family/plan", family=True,
        service_name="Support for your child", title=answer["title"], plan=plan,
        contact=CouncilContact(name="Leeds City Council", phone="0113 000 0000"),
        questions=questions, answers=answers, errors=answers.summary(questions), banner=None,
    )  # fmt: skip


def test_an_ehc_plan_shows_every_section_in_order_with_ordered_headings_and_the_form() -> None:
    html = _page(_answer("ehc"))
    h2s = re.findall(r"<h2[^>]*>([^<]+)</h2>", html)
    sections = [h.replace("'", "&#39;") for h in lettered(HEADINGS).values()]  # EHC: lettered
    assert [h for h in h2s if h in sections] == sections
    levels = [int(n) for n in re.findall(r"<h([1-6])", html)]
    assert levels.count(1) == 1
    assert all(b - a <= 1 for a, b in pairwise(levels)), levels
    assert re.search(r"<h1[^>]*>Your child&#39;s education, health and care plan</h1>", html)
    assert "&lt;script&gt;" in html
    assert "<script>" not in html
    assert "Educational psychologist, 12 January 2027" in html
    assert "Please send us your comments by <strong>16 February 2027</strong>" in html
    assert 'action="/family/plan/comments"' in html
    assert 'name="csrf_token" value="token"' in html
    assert 'name="preferred_school"' in html
    assert 'href="tel:01130000000"' in html


def test_a_support_plan_asks_no_school_and_a_closed_plan_has_no_form() -> None:
    answer = _answer("support")
    html = _page(answer)
    assert 'name="comments"' in html
    assert 'name="preferred_school"' not in html
    closed = {**answer, "plan": {**answer["plan"], "comments_open": False}}
    assert "<form" not in _page(closed)


def test_an_error_is_in_the_summary_linked_to_its_field_and_beside_it() -> None:
    answers = Answers({"comments": ""}, errors={"comments": "Enter your comments"})
    html = _page(_answer("support"), answers)
    summary = html[html.index("govuk-error-summary") :]
    assert '<a href="#comments">Enter your comments</a>' in summary
    assert 'id="comments-error"' in html
    assert 'aria-describedby="comments-hint comments-error"' in html
