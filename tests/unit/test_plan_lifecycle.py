"""A plan's life on both tracks, as pure rules: which step may follow which, and the dates
(15 days for comments, the statutory date, the 12-month review)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest
from plans.catalogue_store import shipped_in_force
from plans.document import PlanDocument
from plans.domain import draft_plan
from plans.lifecycle import InvalidDate, Plan, Refused, add_months, next_review
from plans.structure import SectionNotOnTrack, ehc_structure, with_advice, with_section
from pydantic import ValidationError

from shared.events import PlanStatus, ReferralReceived, Sen2Need, Track

TODAY = date(2026, 3, 2)


def _plan(track: Track = "support", **fields: Any) -> Plan:
    return Plan(uuid4(), uuid4(), "E08000035", track, "draft", 1, **fields)


def _document(track: Track = "support") -> PlanDocument:
    referral = ReferralReceived(
        referral_id=uuid4(), local_authority="E08000035", received_on=date(2026, 1, 5),
        primary_need=Sen2Need.SLCN, requested_by="parent", postcode_district="LS6",
        decision_due=date(2026, 2, 16), final_plan_due=date(2026, 5, 25), track=track,
    )  # fmt: skip
    plan, _ = draft_plan(referral, None, shipped_in_force(referral.local_authority))
    return plan.document


def test_a_support_plan_is_shared_then_agreed_and_reviewed_at_its_earliest_outcome() -> None:
    shared = _plan().share()
    assert (shared.status, shared.version) == ("shared", 2)
    agreed = shared.respond(agreed=True, earliest_review=date(2026, 4, 1))
    assert (agreed.status, agreed.review_due_on, agreed.version) == ("agreed", date(2026, 4, 1), 3)
    assert agreed.review_is_due(date(2026, 3, 31)) is None
    due = agreed.review_is_due(date(2026, 4, 1))
    assert due is not None
    assert due.status == "review_due"
    assert due.review_is_due(date(2026, 4, 2)) is None  # once: it is review_due already
    reviews = [date(2026, 4, 1), date(2026, 7, 1)]
    reviewed = due.reviewed(next_review("support", reviews, date(2026, 4, 1)))
    assert (reviewed.status, reviewed.review_due_on) == ("agreed", date(2026, 7, 1))


def test_changes_asked_for_are_edited_in_a_new_version_and_shared_again() -> None:
    asked = _plan().share().respond(agreed=False, earliest_review=None)
    assert asked.status == "changes_requested"
    edited = asked.edit()
    assert (edited.status, edited.version) == ("draft", asked.version + 1)
    assert edited.share().status == "shared"


STEPS: dict[str, Callable[[Plan], object]] = {
    "edit": Plan.edit,
    "share": Plan.share,
    "respond": lambda plan: plan.respond(agreed=True, earliest_review=None),
}


@pytest.mark.parametrize(
    ("status", "step"),
    [("shared", "edit"), ("agreed", "edit"), ("agreed", "share"), ("draft", "respond")],
)
def test_steps_out_of_place_are_refused_with_the_reason(status: PlanStatus, step: str) -> None:
    plan = Plan(uuid4(), uuid4(), "E08000035", "support", status, 4)
    with pytest.raises(Refused, match=f"not while the plan is {status}"):
        STEPS[step](plan)


def test_sharing_and_issuing_belong_to_their_own_track() -> None:
    with pytest.raises(Refused, match="only an support-track plan"):
        _plan("ehc").share()
    with pytest.raises(Refused, match="only an ehc-track plan"):
        _plan("support").issue_for_comment(TODAY, None)


def test_a_draft_ehc_plan_gives_the_family_at_least_15_days() -> None:
    with pytest.raises(Refused, match="not decided to issue"):
        _plan("ehc").issue_for_comment(TODAY, None)
    plan = _plan("ehc", issue_decided=True)
    issued = plan.issue_for_comment(TODAY, None)
    assert (issued.status, issued.comments_until) == ("issued_for_comment", date(2026, 3, 17))
    assert plan.issue_for_comment(TODAY, date(2026, 3, 20)).comments_until == date(2026, 3, 20)
    with pytest.raises(InvalidDate, match="at least 15 days: 2026-03-17") as caught:
        plan.issue_for_comment(TODAY, date(2026, 3, 16))
    assert caught.value.field == "comments_until"


def test_the_final_plan_waits_for_the_window_unless_the_family_has_no_more_comments() -> None:
    issued = _plan("ehc", issue_decided=True).issue_for_comment(TODAY, None)
    with pytest.raises(Refused, match="may comment until 2026-03-17"):
        issued.finalise(date(2026, 3, 16), None)
    final, warnings = issued.finalise(date(2026, 3, 17), None)
    assert (final.status, warnings) == ("final", [])
    assert issued.respond(agreed=False, earliest_review=None) is issued  # a comment, no change
    done = issued.respond(agreed=True, earliest_review=None)
    assert done.no_more_comments
    assert done.version == issued.version + 1
    early, _ = done.finalise(date(2026, 3, 5), None)
    assert early.status == "final"


def test_a_final_plan_after_the_statutory_date_says_why_and_is_reviewed_within_12_months() -> None:
    due = date(2026, 3, 20)
    issued = _plan("ehc", issue_decided=True, final_plan_due=due).issue_for_comment(TODAY, None)
    on_time, warnings = issued.finalise(due, None)
    assert warnings == []
    assert on_time.review_due_on == date(2027, 3, 20)
    with pytest.raises(InvalidDate, match="due by 2026-03-20") as caught:
        issued.finalise(due + timedelta(days=1), None)
    assert caught.value.field == "late_reason"
    late, warnings = issued.finalise(due + timedelta(days=1), "the school closed")
    assert warnings == ["late: the final plan was due by 2026-03-20"]
    assert late.review_due_on == date(2027, 3, 21)
    annual = late.review_is_due(date(2027, 3, 21))
    assert annual is not None
    assert annual.status == "review_due"
    assert annual.reviewed(next_review("ehc", [], date(2027, 3, 21))).review_due_on == date(
        2028, 3, 21
    )


def test_months_end_on_the_months_last_day() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2026, 11, 30), 12) == date(2027, 11, 30)


def test_an_escalated_support_plan_becomes_an_ehc_plan_with_every_section() -> None:
    document = _document()
    assert document.C is None
    escalated = _plan().share().escalated()
    assert escalated is not None
    assert (escalated.track, escalated.status) == ("ehc", "draft")
    assert _plan("ehc").escalated() is None
    ehc = ehc_structure(document)
    assert ehc.track == "ehc"
    assert all(getattr(ehc, key) for key in ("A", "C", "D", "H1", "H2", "I", "J"))
    assert ehc.B == document.B
    assert ehc.F == document.F
    assert _document("ehc").I == ehc.I


def test_section_k_lists_each_advice_once() -> None:
    document = ehc_structure(_document())
    listed = with_advice(document, "educational_psychology", date(2026, 3, 1))
    assert listed is not None
    assert [a.kind for a in listed.K] == ["educational_psychology"]
    assert with_advice(listed, "educational_psychology", date(2026, 3, 1)) is None


def test_an_edited_section_is_validated_by_the_documents_model() -> None:
    document = _document()
    line = document.F[0].model_dump(mode="json")
    edited = with_section(document, "F", [{**line, "weeks": 20}])
    assert edited.F[0].weeks == 20
    with pytest.raises(ValidationError) as caught:
        with_section(document, "F", [{**line, "weeks": 0}])
    assert caught.value.errors()[0]["loc"] == ("F", 0, "weeks")
    with pytest.raises(SectionNotOnTrack, match="belongs to an EHC plan"):
        with_section(document, "K", [])
    with pytest.raises(SectionNotOnTrack, match="no section Z"):
        with_section(document, "Z", "x")
