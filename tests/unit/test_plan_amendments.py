"""Amending the plan in force after its annual review (Reg 22), pure (``plans.amendments``):
the proposed amended plan, open to the caseworker's edits and the family's comments until their
day; the amended plan issued as the plan in force, dated from its issue and next reviewed
within 12 months of the meeting; each step once per review; plans brought in from the
council's earlier system amended the same way. And the quality check that dates outcomes from
the amended plan, not from the plan's first issue."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest
from plans.amendments import issued, proposed
from plans.catalogue_store import shipped
from plans.checks import check, failed
from plans.document import PlanDocument
from plans.family.shapes import Council, FamilyPlan
from plans.family.view import family_plan
from plans.imported import in_force, plan_in_force, state_of
from plans.lifecycle import Plan, Refused
from plans.standards import NATIONAL, Catalogue, newest
from plans.standards import in_force as catalogue_of

from shared.events import AmendedPlanIssued, AmendmentsProposed, LivePlanImported, Sen2Need
from tests.events import COUNCIL
from tests.plan_documents import plans_by_area, prepared_ehc_plan

FIRST_ISSUE = date(2025, 3, 3)
HELD_ON = date(2026, 2, 16)  # the annual review meeting
SENT_ON = date(2026, 3, 2)
COMMENTS_UNTIL = date(2026, 3, 17)
ISSUED_ON = date(2026, 4, 13)
NEXT_REVIEW = date(2027, 2, 16)  # 12 months from the meeting
REVIEW = uuid4()


def _plan_in_force(status: str = "review_due") -> tuple[Plan, PlanDocument]:
    support = plans_by_area()["communication-and-interaction"]
    prepared = prepared_ehc_plan(support, FIRST_ISSUE)
    dated = prepared.E[0].model_copy(update={"text": "By 3 March 2026, asks for help in class"})
    document = prepared.model_copy(update={"E": [dated, *prepared.E[1:]]})
    assert document.E[0].review_on == date(2026, 3, 3)
    assert failed(check(document)) == []
    plan = Plan(
        uuid4(), uuid4(), COUNCIL, "ehc", status, 4,  # type: ignore[arg-type]  # a PlanStatus
        issue_decided=True, comments_until=date(2025, 2, 20), no_more_comments=True,
        review_due_on=date(2026, 3, 3),
    )  # fmt: skip
    return plan, document


def _proposals(plan: Plan, review: UUID = REVIEW, **changes: Any) -> AmendmentsProposed:
    fields: dict[str, Any] = {
        "referral_id": plan.referral_id, "local_authority": COUNCIL, "review_id": review,
        "sent_on": SENT_ON, "comments_until": COMMENTS_UNTIL,
        "amended_plan_due": date(2026, 4, 27), "held_on": HELD_ON,
    }  # fmt: skip
    return AmendmentsProposed(**fields | changes)


def _issued(plan: Plan, review: UUID = REVIEW, **changes: Any) -> AmendedPlanIssued:
    fields: dict[str, Any] = {
        "referral_id": plan.referral_id, "local_authority": COUNCIL, "review_id": review,
        "issued_on": ISSUED_ON, "amended_plan_due": date(2026, 4, 27), "late": False,
        "appeal_by": date(2026, 6, 13), "held_on": HELD_ON,
    }  # fmt: skip
    return AmendedPlanIssued(**fields | changes)


def _to_next_review(document: PlanDocument, outcome: int = 0) -> PlanDocument:
    """The caseworker's edit of section E: an outcome running to the next review."""
    changed = document.E[outcome].model_copy(update={"review_on": NEXT_REVIEW})
    return document.model_copy(
        update={"E": [*document.E[:outcome], changed, *document.E[outcome + 1 :]]}
    )


def test_outcomes_of_a_plan_being_amended_are_measured_from_the_review_not_the_first_issue() -> (
    None
):
    plan, document = _plan_in_force()
    taken = proposed(plan, document, _proposals(plan))
    assert taken is not None
    assert taken.document is not None
    edited = _to_next_review(taken.document)
    assert {r.name for r in failed(check(edited))} == set()
    # Before the review meeting is not after it: still refused, and named from the meeting.
    early = edited.E[0].model_copy(update={"review_on": date(2026, 1, 30)})
    too_early = edited.model_copy(update={"E": [early, *edited.E[1:]]})
    message = {r.name: r.message for r in failed(check(too_early))}
    assert message == {
        "outcomes_are_measurable_and_dated": f"outcome {early.id}: review date 2026-01-30 is "
        "not within a year after 2026-02-16"
    }


def test_proposed_amendments_open_the_plan_for_edits_and_the_familys_comments() -> None:
    plan, document = _plan_in_force()
    taken = proposed(plan, document, _proposals(plan))
    assert taken is not None
    assert taken.document is not None
    assert (taken.plan.status, taken.plan.version) == ("amendments_proposed", 5)
    assert (taken.plan.comments_until, taken.plan.no_more_comments) == (COMMENTS_UNTIL, False)
    assert taken.plan.amending_review == REVIEW
    assert taken.document.reviewed_on == HELD_ON
    assert taken.events == []  # referrals' event tells the family
    # The caseworker edits the sections the review changes ...
    edit = taken.plan.edit("E", _to_next_review(taken.document), "review", drafted_from=None)
    assert (edit.plan.status, edit.plan.version) == ("amendments_proposed", 6)
    # ... and the family comments on them (their last word closes their time to comment).
    response = edit.plan.respond(
        True, date(2026, 3, 9), reviews=[], taken_by="family", preferred_school=None
    )
    assert response.plan.no_more_comments
    assert [e.name for e in response.events] == ["plan-comments-received"]


def test_the_familys_page_shows_the_proposed_plan_and_their_day_to_comment() -> None:
    plan, document = _plan_in_force()
    taken = proposed(plan, document, _proposals(plan))
    assert taken is not None
    assert taken.document is not None
    row = {
        "status": taken.plan.status, "sections": taken.document.model_dump(mode="json"),
        "created_at": "2025-03-03T09:00:00+00:00", "comments_until": COMMENTS_UNTIL,
        "version": taken.plan.version,
    }  # fmt: skip
    shown = family_plan(row, plan.referral_id, Council("Leeds City Council"))
    assert isinstance(shown, FamilyPlan)
    assert shown.comments_open
    assert shown.comments_due == "17 March 2026"
    assert shown.status_words.startswith("Changes we propose after the annual review")


def test_the_amended_plan_issued_is_the_plan_in_force_dated_from_its_issue() -> None:
    plan, document = _plan_in_force()
    taken = proposed(plan, document, _proposals(plan))
    assert taken is not None
    assert taken.document is not None
    kept = taken.document.E[0].model_copy(
        update={"id": "outcome-2", "review_on": date(2026, 12, 1)}
    )
    edited = taken.document.model_copy(update={"E": [taken.document.E[0], kept]})
    amended = issued(taken.plan, edited, _issued(plan))
    assert amended is not None
    assert amended.document is not None
    assert (amended.plan.status, amended.plan.version) == ("final", 6)
    assert amended.plan.review_due_on == NEXT_REVIEW
    assert amended.document.drafted_on == ISSUED_ON
    # The outcome still dated to the first year's review runs to the next one, in its words;
    # the one the caseworker dated within the year keeps its day.
    first, second = amended.document.E
    assert first.review_on == NEXT_REVIEW
    assert first.text.startswith("By 16 February 2027, ")
    assert second == kept
    assert failed(check(amended.document)) == []
    assert amended.events == []
    assert str(ISSUED_ON) in amended.reason


def test_each_step_is_taken_once_per_review_in_either_order() -> None:
    plan, document = _plan_in_force()
    taken = proposed(plan, document, _proposals(plan))
    assert taken is not None
    assert taken.document is not None
    assert proposed(taken.plan, taken.document, _proposals(plan)) is None
    amended = issued(taken.plan, taken.document, _issued(plan))
    assert amended is not None
    assert amended.document is not None
    assert issued(amended.plan, amended.document, _issued(plan)) is None
    # The proposals came late, on their own topic: the amended plan stays in force.
    assert proposed(amended.plan, amended.document, _proposals(plan)) is None
    # Issued before its proposals were seen: issued as the plan stands.
    direct = issued(plan, document, _issued(plan))
    assert direct is not None
    assert direct.document is not None
    assert (direct.plan.status, direct.plan.review_due_on) == ("final", NEXT_REVIEW)
    assert proposed(direct.plan, direct.document, _proposals(plan)) is None
    # Next year's review amends it again.
    again = proposed(amended.plan, amended.document, _proposals(plan, review=uuid4()))
    assert again is not None
    assert again.plan.status == "amendments_proposed"


@pytest.mark.parametrize(("track", "status"), [("ehc", "draft"), ("ehc", "issued_for_comment"),
                                               ("support", "agreed")])  # fmt: skip
def test_only_an_ehc_plan_in_force_is_amended(track: str, status: str) -> None:
    plan, document = _plan_in_force()
    not_in_force = Plan(plan.id, plan.referral_id, COUNCIL, track, status, 2)  # type: ignore[arg-type]  # Track, PlanStatus
    with pytest.raises(Refused, match="not an EHC plan in force"):
        proposed(not_in_force, document, _proposals(plan))
    with pytest.raises(Refused, match="not an EHC plan in force"):
        issued(not_in_force, document, _issued(plan))


def _catalogue() -> Catalogue:
    national = newest([v for v, _ in shipped()], NATIONAL)
    assert national is not None
    return catalogue_of(national, None)


def test_a_plan_brought_in_from_the_earlier_system_is_amended_the_same_way() -> None:
    live = LivePlanImported(
        referral_id=uuid4(), local_authority=COUNCIL, issued_on=FIRST_ISSUE,
        review_due=date(2026, 3, 3), needs=[Sen2Need.SEMH], phase="secondary", age_years=13,
    )  # fmt: skip
    brought = plan_in_force(live, _catalogue())
    held = in_force(state_of(brought), live, date(2026, 3, 5))
    assert held.plan.status == "review_due"
    taken = proposed(held.plan, brought.document, _proposals(held.plan))
    assert taken is not None
    assert taken.document is not None
    assert taken.plan.status == "amendments_proposed"
    amended = issued(taken.plan, taken.document, _issued(held.plan))
    assert amended is not None
    assert amended.document is not None
    assert (amended.plan.status, amended.plan.review_due_on) == ("final", NEXT_REVIEW)
    assert amended.document.drafted_on == ISSUED_ON
    assert [n.code for n in amended.document.B] == [Sen2Need.SEMH]
