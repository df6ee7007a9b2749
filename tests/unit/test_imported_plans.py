"""Plans for a council's open requests and live plans brought in from its earlier system (#22),
pure (``plans.imported``): the plan a request made here would have had at the stage the
earlier system's steps left it, and the plan in force, final, with nothing invented."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

from plans.catalogue_store import shipped
from plans.imported import (
    EARLIER_SYSTEM,
    IN_EARLIER_SYSTEM,
    first_draft,
    in_force,
    plan_in_force,
    state_of,
    steps_taken,
)
from plans.standards import NATIONAL, Catalogue, newest
from plans.standards import in_force as catalogue_of
from plans.statutory_checks import sections_written

from shared.events import ImportedAdvice, LivePlanImported, OpenRequestImported, Sen2Need
from tests.events import COUNCIL

RECEIVED = date(2026, 1, 5)


def _catalogue() -> Catalogue:
    national = newest([v for v, _ in shipped()], NATIONAL)
    assert national is not None
    return catalogue_of(national, None)


def _request(**changes: Any) -> OpenRequestImported:
    fields: dict[str, Any] = {
        "referral_id": uuid4(), "local_authority": COUNCIL, "received_on": RECEIVED,
        "requested_by": "parent", "needs": [Sen2Need.ASD, Sen2Need.SLCN],
        "postcode_district": "LS6", "decision_due": RECEIVED + timedelta(weeks=6),
        "final_plan_due": RECEIVED + timedelta(weeks=20), "phase": "primary", "age_years": 9,
    }  # fmt: skip
    return OpenRequestImported(**fields | changes)


def _advice(*kinds: str) -> list[ImportedAdvice]:
    return [ImportedAdvice(kind=k, received_on=date(2026, 3, 2)) for k in kinds]


def test_an_open_request_gets_its_support_plan_on_the_ehc_track_from_its_needs_in_rank_order() -> (
    None
):
    request = _request()
    drafted = first_draft(request, _catalogue())
    assert (drafted.referral_id, drafted.track) == (request.referral_id, "ehc")
    assert drafted.final_plan_due == request.final_plan_due
    assert [n.code for n in drafted.document.B] == [Sen2Need.ASD, Sen2Need.SLCN]
    assert drafted.document.B[0].primary
    assert drafted.document.drafted_on == RECEIVED
    # The support plan until the council decides to issue an EHC plan, as for a request here.
    assert drafted.document.track == "support"
    # Never announced for matching, not even once an edit makes it pass its checks.
    assert drafted.referral is None
    assert steps_taken(state_of(drafted), drafted.document, request) == []


def test_advice_received_there_is_listed_in_section_k_each_a_version() -> None:
    request = _request(advice_received=_advice("educational_psychology", "medical"))
    drafted = first_draft(request, _catalogue())
    taken = steps_taken(state_of(drafted), drafted.document, request)
    assert [step.plan.version for step, _ in taken] == [2, 3]
    assert all(step.reason == "advice received" + EARLIER_SYSTEM for step, _ in taken)
    assert all(step.events for step, _ in taken)  # the lifecycle's, which the handler drops
    last_plan, last_document = taken[-1][0].plan, taken[-1][1]
    assert [(a.kind, a.received_on) for a in last_document.K] == [
        ("educational_psychology", date(2026, 3, 2)),
        ("medical", date(2026, 3, 2)),
    ]
    # The decision to issue is still to be taken (here): the EHC plan is drafted then.
    assert (last_plan.status, last_plan.issue_decided) == ("draft", False)
    assert last_plan.ehc_plan_drafted() is not None


def test_a_decision_to_issue_there_drafts_the_ehc_plan_from_the_advice() -> None:
    request = _request(
        advice_received=_advice("educational_psychology"),
        plan_decision="issue", plan_decided_on=date(2026, 4, 1),
    )  # fmt: skip
    drafted = first_draft(request, _catalogue())
    taken = steps_taken(state_of(drafted), drafted.document, request)
    plan, document = taken[-1][0].plan, taken[-1][1]
    assert (plan.status, plan.issue_decided, plan.version) == ("draft", True, 3)
    assert document.track == "ehc"
    assert [a.kind for a in document.K] == ["educational_psychology"]
    assert document.E
    assert all(o.suggested for o in document.E)
    assert all(p.suggested for p in document.F)
    # Outcomes dated from the statutory date of the final plan, as for a request here.
    assert document.drafted_on == request.final_plan_due


def test_a_decision_not_to_issue_drafts_no_ehc_plan() -> None:
    request = _request(plan_decision="not_issue", plan_decided_on=date(2026, 4, 1))
    drafted = first_draft(request, _catalogue())
    assert steps_taken(state_of(drafted), drafted.document, request) == []


def test_a_draft_issued_there_is_open_for_the_familys_comments_until_their_day() -> None:
    request = _request(
        plan_decision="issue", plan_decided_on=date(2026, 4, 1),
        draft_issued_on=date(2026, 4, 10), comments_due=date(2026, 4, 30),
    )  # fmt: skip
    drafted = first_draft(request, _catalogue())
    taken = steps_taken(state_of(drafted), drafted.document, request)
    plan = taken[-1][0].plan
    assert (plan.status, plan.comments_until) == ("issued_for_comment", date(2026, 4, 30))
    assert taken[-1][0].reason.endswith(EARLIER_SYSTEM)


def _live(**changes: Any) -> LivePlanImported:
    fields: dict[str, Any] = {
        "referral_id": uuid4(), "local_authority": COUNCIL, "issued_on": date(2024, 3, 1),
        "last_reviewed_on": date(2025, 2, 20), "review_due": date(2026, 2, 20),
        "needs": [Sen2Need.SEMH, Sen2Need.SPLD], "phase": "secondary", "age_years": 13,
    }  # fmt: skip
    return LivePlanImported(**fields | changes)


def test_a_live_plan_is_held_final_with_its_needs_and_nothing_the_council_did_not_write() -> None:
    live = _live()
    plan = plan_in_force(live, _catalogue())
    document = plan.document
    assert document.track == "ehc"
    assert [n.code for n in document.B] == [Sen2Need.SEMH, Sen2Need.SPLD]
    assert (document.E, document.F, document.G, document.K) == ([], [], [], [])
    assert {document.A, document.C, document.D, document.J} == {IN_EARLIER_SYSTEM}
    assert document.I == IN_EARLIER_SYSTEM  # the import named no setting
    # Never issued again as it is: the checks before a final plan name each section to write.
    problems = " ".join(sections_written(document))
    assert all(f"section {key}:" in problems for key in ("C", "D", "H1", "H2", "J", "I"))
    named = plan_in_force(_live(setting_urn="107958"), _catalogue()).document
    assert named.I is not None
    assert named.I.startswith("URN 107958")
    assert "section I:" not in " ".join(sections_written(named))
    taken = in_force(state_of(plan), live, date(2025, 9, 1))
    assert (taken.plan.status, taken.plan.version) == ("final", 2)
    assert (taken.plan.issue_decided, taken.plan.review_due_on) == (True, date(2026, 2, 20))
    assert taken.plan.final_plan_due is None
    assert taken.events == []
    assert str(live.issued_on) in taken.reason


def test_a_live_plan_whose_review_is_due_already_is_held_review_due_without_an_event() -> None:
    """The review scheduler would otherwise mark it at once and tell the family, on the day of
    the import, of a review the earlier system knew was due."""
    live = _live(review_due=date(2025, 9, 1))
    plan = plan_in_force(live, _catalogue())
    for today in (date(2025, 9, 1), date(2025, 10, 1)):
        taken = in_force(state_of(plan), live, today)
        assert (taken.plan.status, taken.plan.review_due_on) == ("review_due", date(2025, 9, 1))
        assert taken.events == []
    assert in_force(state_of(plan), live, date(2025, 8, 31)).plan.status == "final"
