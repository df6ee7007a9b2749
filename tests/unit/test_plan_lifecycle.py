"""A plan's life on both tracks, as pure rules: which step may follow which, the dates (15 days
for comments, the statutory date, the 12-month review), and the events each step causes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest
from plans.catalogue_store import shipped_in_force
from plans.document import PlanDocument
from plans.domain import draft_plan
from plans.lifecycle import InvalidDate, Plan, Refused, StepTaken
from plans.structure import SectionNotOnTrack, ehc_structure, with_advice, with_section
from pydantic import ValidationError

from shared.dates import add_months
from shared.events import (
    PlanAgreed,
    PlanCommentsReceived,
    PlanDrafted,
    PlanFinalised,
    PlanIssuedForComment,
    PlanReviewDue,
    PlanRevised,
    PlanShared,
    PlanStatus,
    ReferralReceived,
    Sen2Need,
    Track,
)

TODAY = date(2026, 3, 2)


def _plan(track: Track = "support", **fields: Any) -> Plan:
    return Plan(uuid4(), uuid4(), "E08000035", track, "draft", 1, **fields)


def _referral(track: Track = "support") -> ReferralReceived:
    return ReferralReceived(
        referral_id=uuid4(), local_authority="E08000035", received_on=date(2026, 1, 5),
        primary_need=Sen2Need.SLCN, requested_by="parent", postcode_district="LS6",
        decision_due=date(2026, 2, 16), final_plan_due=date(2026, 5, 25), track=track,
    )  # fmt: skip


def _document(track: Track = "support") -> PlanDocument:
    referral = _referral(track)
    plan, _ = draft_plan(referral, None, shipped_in_force(referral.local_authority))
    return plan.document


def _respond(plan: Plan, agreed: bool, reviews: list[date] | None = None) -> StepTaken:
    return plan.respond(
        agreed, TODAY, reviews=reviews or [], taken_by="family", preferred_school=None
    )


def _kinds(taken: StepTaken) -> list[type]:
    return [type(e) for e in taken.events]


def test_a_support_plan_is_shared_then_agreed_and_reviewed_at_its_earliest_outcome() -> None:
    shared = _plan().share(TODAY)
    assert (shared.plan.status, shared.plan.version) == ("shared", 2)
    assert _kinds(shared) == [PlanShared]
    assert shared.events[0].model_dump(include={"plan_version", "shared_on"}) == {
        "plan_version": 2, "shared_on": TODAY,
    }  # fmt: skip
    agreed = _respond(shared.plan, True, [date(2026, 7, 1), date(2026, 4, 1)])
    assert (agreed.plan.status, agreed.plan.review_due_on, agreed.plan.version) == (
        "agreed", date(2026, 4, 1), 3,
    )  # fmt: skip
    assert _kinds(agreed) == [PlanCommentsReceived, PlanAgreed]
    received, agreed_event = agreed.events
    assert isinstance(received, PlanCommentsReceived)
    assert (received.plan_version, received.agreed, received.taken_by) == (2, True, "family")
    assert isinstance(agreed_event, PlanAgreed)
    assert (agreed_event.plan_version, agreed_event.review_due) == (3, date(2026, 4, 1))
    assert agreed.reason == "the family agreed"
    assert agreed.plan.review_is_due(date(2026, 3, 31)) is None
    due = agreed.plan.review_is_due(date(2026, 4, 1))
    assert due is not None
    assert due.plan.status == "review_due"
    [due_event] = due.events
    assert isinstance(due_event, PlanReviewDue)
    assert (due_event.review_due, due_event.plan_version) == (date(2026, 4, 1), 4)
    assert due.plan.review_is_due(date(2026, 4, 2)) is None  # once: it is review_due already
    reviews = [date(2026, 4, 1), date(2026, 7, 1)]
    reviewed = due.plan.reviewed(date(2026, 4, 1), reviews, "meeting held")
    assert (reviewed.plan.status, reviewed.plan.review_due_on) == ("agreed", date(2026, 7, 1))
    [revised] = reviewed.events
    assert isinstance(revised, PlanRevised)
    assert (revised.reason, revised.review_due) == ("reviewed", date(2026, 7, 1))
    assert reviewed.reason == "reviewed: meeting held"


def test_changes_asked_for_are_edited_in_a_new_version_and_shared_again() -> None:
    asked = _respond(_plan().share(TODAY).plan, False)
    assert asked.plan.status == "changes_requested"
    assert _kinds(asked) == [PlanCommentsReceived]  # not agreed: no PlanAgreed
    edited = asked.plan.edit("F", _document(), "as the family asked", drafted_from=None)
    assert (edited.plan.status, edited.plan.version) == ("draft", asked.plan.version + 1)
    [revised] = edited.events
    assert isinstance(revised, PlanRevised)
    assert (revised.reason, revised.sections, revised.status) == ("edited", ["F"], "draft")
    assert edited.plan.share(TODAY).plan.status == "shared"


def test_a_draft_needing_attention_is_announced_by_the_edit_that_makes_it_pass() -> None:
    referral = _referral()
    document = _document()
    waiting = Plan(uuid4(), referral.referral_id, "E08000035", "support", "needs_attention", 1)
    edited = waiting.edit("F", document, "provision restored", drafted_from=referral)
    assert edited.plan.status == "draft"
    assert _kinds(edited) == [PlanRevised, PlanDrafted]
    announced = edited.events[1]
    assert isinstance(announced, PlanDrafted)
    assert (announced.plan_id, announced.referral_id) == (waiting.id, referral.referral_id)
    failing = document.model_copy(update={"F": []})
    still = waiting.edit("F", failing, "not yet", drafted_from=referral)
    assert (still.plan.status, _kinds(still)) == ("needs_attention", [PlanRevised])
    unknown = waiting.edit("F", document, "kept no referral", drafted_from=None)
    assert (unknown.plan.status, _kinds(unknown)) == ("needs_attention", [PlanRevised])


STEPS: dict[str, Callable[[Plan], object]] = {
    "edit": lambda plan: plan.edit("A", _document(), "why", drafted_from=None),
    "share": lambda plan: plan.share(TODAY),
    "respond": lambda plan: _respond(plan, True),
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
        _plan("ehc").share(TODAY)
    with pytest.raises(Refused, match="only an ehc-track plan"):
        _plan("support").issue_for_comment(TODAY, None)


def test_a_draft_ehc_plan_gives_the_family_at_least_15_days() -> None:
    with pytest.raises(Refused, match="not decided to issue"):
        _plan("ehc").issue_for_comment(TODAY, None)
    plan = _plan("ehc", issue_decided=True, final_plan_due=date(2026, 5, 25))
    issued = plan.issue_for_comment(TODAY, None)
    assert (issued.plan.status, issued.plan.comments_until) == (
        "issued_for_comment", date(2026, 3, 17),
    )  # fmt: skip
    [event] = issued.events
    assert isinstance(event, PlanIssuedForComment)
    assert (event.issued_on, event.comments_until, event.final_plan_due) == (
        TODAY, date(2026, 3, 17), date(2026, 5, 25),
    )  # fmt: skip
    later = plan.issue_for_comment(TODAY, date(2026, 3, 20))
    assert later.plan.comments_until == date(2026, 3, 20)
    with pytest.raises(InvalidDate, match="at least 15 days: 2026-03-17") as caught:
        plan.issue_for_comment(TODAY, date(2026, 3, 16))
    assert caught.value.field == "comments_until"


def test_the_final_plan_waits_for_the_window_unless_the_family_has_no_more_comments() -> None:
    issued = _plan("ehc", issue_decided=True).issue_for_comment(TODAY, None).plan
    with pytest.raises(Refused, match="may comment until 2026-03-17"):
        issued.finalise(date(2026, 3, 16), None)
    final = issued.finalise(date(2026, 3, 17), None)
    assert (final.plan.status, final.warnings, final.reason) == ("final", [], "finalised")
    comment = issued.respond(
        False, TODAY, reviews=[], taken_by="family", preferred_school="Park School"
    )
    assert comment.plan is issued  # a comment, kept with the version: no change
    [received] = comment.events
    assert isinstance(received, PlanCommentsReceived)
    assert received.school_named
    done = _respond(issued, True)
    assert done.plan.no_more_comments
    assert done.plan.version == issued.version + 1
    assert _kinds(done) == [PlanCommentsReceived]  # an EHC plan is not "agreed"
    assert done.reason == "the family has no more comments"
    early = done.plan.finalise(date(2026, 3, 5), None)
    assert early.plan.status == "final"
    [finalised] = early.events
    assert isinstance(finalised, PlanFinalised)
    assert finalised.comments_closed_early


def test_a_final_plan_after_the_statutory_date_says_why_and_is_reviewed_within_12_months() -> None:
    due = date(2026, 3, 20)
    ehc = _plan("ehc", issue_decided=True, final_plan_due=due)
    issued = ehc.issue_for_comment(TODAY, None).plan
    on_time = issued.finalise(due, None)
    assert on_time.warnings == []
    assert on_time.plan.review_due_on == date(2027, 3, 20)
    with pytest.raises(InvalidDate, match="due by 2026-03-20") as caught:
        issued.finalise(due + timedelta(days=1), None)
    assert caught.value.field == "late_reason"
    late = issued.finalise(due + timedelta(days=1), "the school closed")
    assert late.warnings == ["late: the final plan was due by 2026-03-20"]
    assert late.reason == "finalised late: the school closed"
    [finalised] = late.events
    assert isinstance(finalised, PlanFinalised)
    assert (finalised.late, finalised.review_due, finalised.final_plan_due) == (
        True, date(2027, 3, 21), due,
    )  # fmt: skip
    assert "school closed" not in finalised.model_dump_json()  # the reason stays in plans
    assert late.plan.review_due_on == date(2027, 3, 21)
    annual = late.plan.review_is_due(date(2027, 3, 21))
    assert annual is not None
    assert annual.plan.status == "review_due"
    reviewed = annual.plan.reviewed(date(2027, 3, 21), [], "annual review")
    assert reviewed.plan.review_due_on == date(2028, 3, 21)


def test_months_end_on_the_months_last_day() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2026, 11, 30), 12) == date(2027, 11, 30)


def test_an_escalated_support_plan_becomes_an_ehc_plan_with_every_section() -> None:
    document = _document()
    assert document.C is None
    escalated = _plan().share(TODAY).plan.escalated(date(2026, 6, 1))
    assert escalated is not None
    assert (escalated.plan.track, escalated.plan.status) == ("ehc", "draft")
    assert escalated.plan.final_plan_due == date(2026, 6, 1)
    [revised] = escalated.events
    assert isinstance(revised, PlanRevised)
    assert (revised.reason, revised.track, revised.status) == ("escalated", "ehc", "draft")
    assert _plan("ehc").escalated(date(2026, 6, 1)) is None
    ehc = ehc_structure(document)
    assert ehc.track == "ehc"
    assert all(getattr(ehc, key) for key in ("A", "C", "D", "H1", "H2", "I", "J"))
    assert ehc.B == document.B
    assert ehc.F == document.F
    assert _document("ehc").track == "support"  # on the EHC track, intake drafts the support plan


def test_section_k_lists_each_advice_once() -> None:
    document = ehc_structure(_document())
    listed = with_advice(document, "educational_psychology", date(2026, 3, 1))
    assert listed is not None
    assert [a.kind for a in listed.K] == ["educational_psychology"]
    assert with_advice(listed, "educational_psychology", date(2026, 3, 1)) is None
    advised = _plan("ehc").advice_listed()
    [revised] = advised.events
    assert isinstance(revised, PlanRevised)
    assert (revised.reason, revised.sections, revised.plan_version) == (
        "advice_received", ["K"], 2,
    )  # fmt: skip


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
