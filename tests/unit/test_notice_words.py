"""The words of the statutory notices in messages (#21): every appeal date says it runs 2 months
from the decision or 1 month from the mediation certificate, whichever is later; the draft plan's
notice gives at least 15 days, the right to a meeting with an officer, the right to ask for a
school or college and where the list of them is (Reg 13(1))."""

from __future__ import annotations

from uuid import uuid4

import pytest

from shared.events import AssessmentDecided, DraftPlanIssued, FinalPlanIssued, PlanIssueDecided
from tests.events import sample_event
from tests.unit.test_statutory_messages import _messages, _variants


def _appealable() -> list[object]:
    refused = sample_event(AssessmentDecided, uuid4())
    not_issued = [e for e in _variants() if getattr(e, "decision", None) == "not_issue"]
    return [refused, *not_issued, sample_event(FinalPlanIssued, uuid4())]


@pytest.mark.parametrize("event", _appealable(), ids=lambda e: type(e).__name__)
def test_every_message_with_an_appeal_date_says_how_mediation_moves_it(event: object) -> None:
    [(_, text)] = _messages(event)  # type: ignore[arg-type]
    email, sms = text.split("---\n")
    assert "within 1 month of the date on your mediation certificate if that is later" in email
    assert "2 months from the date of" in email
    assert "or 1 month from a mediation certificate if later" in sms


def test_the_draft_plan_notice_gives_the_rights_of_regulation_13() -> None:
    [(_, text)] = _messages(sample_event(DraftPlanIssued, uuid4()))
    email = text.split("---\n")[0]
    assert "at least 15 days to comment" in email
    assert "right to ask for a meeting with one of our officers" in email
    assert "particular school, college or other setting" in email
    assert "list of schools and colleges is published in our Local Offer" in email


def test_a_decision_to_assess_or_to_issue_offers_no_appeal() -> None:
    assess = [e for e in _variants() if getattr(e, "decision", None) == "assess"]
    issue = sample_event(PlanIssueDecided, uuid4())
    assert assess
    for event in [*assess, issue]:
        [(_, text)] = _messages(event)
        assert "appeal" not in text.lower()


@pytest.mark.parametrize("event", _appealable()[:2], ids=lambda e: type(e).__name__)
def test_a_refusal_points_to_the_letter_that_explains_it(event: object) -> None:
    [(_, text)] = _messages(event)  # type: ignore[arg-type]
    assert "Our letter explains our decision and who can help" in text.split("---\n")[0]
