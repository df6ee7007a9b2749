"""The workspace's final plan form sends the end of the child's current phase of education to
plans as ``phase_ends_on`` (#21: the outcomes run to it when it comes before the review), and
sends none when it is left empty (the outcomes then run to the review)."""

from __future__ import annotations

from plans.requests import Finalise
from web import forms
from web.plan.moving import STEPS


def test_the_phase_end_is_sent_to_plans_as_its_finalise_body_names_it() -> None:
    questions = STEPS["finalise"].questions
    body, answers = forms.read(
        questions,
        {"phase_ends_on-day": "21", "phase_ends_on-month": "7", "phase_ends_on-year": "2027"},
    )
    assert answers.errors == {}
    assert body == {"phase_ends_on": "2027-07-21"}
    sent = Finalise.model_validate({**body, "version": 4})
    assert str(sent.phase_ends_on) == "2027-07-21"

    empty, answers = forms.read(questions, {})
    assert (empty, answers.errors) == ({}, {})
