"""The plan's print template (the PDF): every section an EHC plan has, in the Regulation 12
order, headings in order under one h1, and what people wrote escaped (never markup). The
family's page is the workspace's (tests/unit/test_family_plan_page.py)."""

from __future__ import annotations

import re
from datetime import date
from itertools import pairwise
from uuid import uuid4

from plans import plan_pages
from plans.document import Adviser
from plans.family.shapes import HEADINGS, Council, FamilyPlan, lettered
from plans.family.view import family_plan

from tests.plan_documents import plans_by_area


def _ehc_plan() -> FamilyPlan:
    document = plans_by_area()["sensory-and-physical"].model_copy(
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
    )
    row = {
        "status": "issued_for_comment",
        "sections": document.model_dump(mode="json"),
        "created_at": "2027-02-01T09:00:00+00:00",
        "comments_until": "2027-02-16",
    }
    shown = family_plan(row, uuid4(), Council("Leeds City Council"))
    assert isinstance(shown, FamilyPlan)
    return shown


def test_an_ehc_plan_prints_every_section_in_order_with_ordered_headings() -> None:
    plan = _ehc_plan()
    html = plan_pages.html_for_print("plan.html", council=plan.council, plan=plan)
    h2s = re.findall(r"<h2[^>]*>([^<]+)</h2>", html)
    sections = [h.replace("'", "&#39;") for h in lettered(HEADINGS).values()]  # EHC: lettered
    assert [h for h in h2s if h in sections] == sections
    levels = [int(n) for n in re.findall(r"<h([1-6])", html)]
    assert levels.count(1) == 1
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in pairwise(levels))
    assert (
        '<h1 class="govuk-heading-xl">Your child&#39;s education, health and care plan</h1>' in html
    )
    assert "&lt;script&gt;" in html
    assert "<script>" not in html
    assert "Educational psychologist, 12 January 2027" in html


def test_the_printed_plan_has_no_form_no_links_and_no_stylesheet_to_fetch() -> None:
    plan = _ehc_plan()
    html = plan_pages.html_for_print("plan.html", council=plan.council, plan=plan)
    assert "<form" not in html
    assert "<link" not in html
    assert "href=" not in html
