"""The EHC plan built from the assessment, and what the law asks of it before it is issued and
finalised (issue 21): pure rules over the plan document."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from plans.catalogue_store import shipped_in_force
from plans.document import HealthAgreement, PlanDocument, Provision
from plans.drafting import draft_document
from plans.ehc_plan import (
    NoSuchLine,
    NotSuggested,
    confirmed,
    dated_from,
    drafted_from_advice,
    health_agreed,
    review_after,
)
from plans.statutory_checks import before_final, before_issue
from plans.structure import TO_BE_WRITTEN, with_section

from shared.events import ReferralReceived, Sen2Need
from tests.plan_documents import prepared_ehc_plan

RECEIVED = date(2026, 3, 2)
DUE = date(2026, 7, 20)  # week 20
ISSUED = date(2026, 7, 13)


def _support_plan(need: Sen2Need = Sen2Need.HI) -> PlanDocument:
    referral = ReferralReceived(
        referral_id="4a7f0c3e-1d2b-4c5d-8e9f-0a1b2c3d4e5f", local_authority="E08000035",
        received_on=RECEIVED, primary_need=need, requested_by="parent",
        postcode_district="LS6", decision_due=date(2026, 4, 13), final_plan_due=DUE,
        phase="primary", track="ehc",
    )  # fmt: skip
    return draft_document(referral, None, shipped_in_force("E08000035"))


def _ready() -> PlanDocument:
    return prepared_ehc_plan(_support_plan(), DUE)


def _with_line(document: PlanDocument, key: str, **changes: Any) -> PlanDocument:
    lines: list[Provision] = getattr(document, key)
    return document.model_copy(update={key: [lines[0].model_copy(update=changes), *lines[1:]]})


def test_the_ehc_plan_offers_the_catalogues_lines_as_suggestions_until_each_is_confirmed() -> None:
    support = _support_plan()
    ehc = drafted_from_advice(support, DUE)
    assert support.track == "support"
    assert ehc.track == "ehc"
    assert all(o.suggested for o in ehc.E)
    assert all(p.suggested for p in [*ehc.F, *ehc.G])
    problems = before_issue(ehc)
    assert f"F {ehc.F[0].id}: suggested by the catalogue, not yet confirmed" in "; ".join(problems)
    one = confirmed(ehc, ehc.F[0].id)
    assert not one.F[0].suggested
    assert all(o.suggested for o in one.E)  # line by line
    assert all(p.suggested for p in [*one.F[1:], *one.G])
    with pytest.raises(NotSuggested):
        confirmed(one, ehc.F[0].id)
    with pytest.raises(NoSuchLine):
        confirmed(one, "provision-99")


def test_the_support_plan_cannot_be_issued_as_the_ehc_plan() -> None:
    assert "this is the support plan" in before_issue(_support_plan())[0]


def test_a_plan_prepared_by_a_caseworker_has_nothing_stopping_its_issue() -> None:
    assert before_issue(_ready()) == []
    assert before_final(dated_from(_ready(), ISSUED), ISSUED) == []


@pytest.mark.parametrize(
    "support",
    [
        "speech and language assessment, then a language programme written for the child",
        "a sensory assessment and a sensory plan for the school day",
        "an audiology review, then as the audiologist advises",
        "therapy sessions, the number to be agreed with the school",
    ],
)
def test_provision_that_defers_its_own_specification_is_refused(support: str) -> None:
    deferred = _with_line(_ready(), "F", support=support)
    [problem] = before_issue(deferred)
    assert problem.startswith(f"F {deferred.F[0].id}:")
    assert "leaves the provision to be decided later" in problem


def test_provision_runs_for_the_plans_period_not_twelve_weeks_of_it() -> None:
    short = _with_line(_ready(), "F", weeks=12, sessions_per_week=3)
    [problem] = before_issue(short)
    assert "runs 12 weeks of a plan reviewed after 12 months" in problem
    once = _with_line(_ready(), "F", weeks=1, sessions_per_week=1)  # one occasion is fine
    assert before_issue(once) == []


def test_health_provision_in_g_needs_the_commissioners_agreement_recorded() -> None:
    ready = _ready()
    assert ready.G, "a deaf child's plan has an audiology review in G"
    unagreed = _with_line(ready, "G", health_agreement=None)
    [problem] = before_issue(unagreed)
    assert problem == f"G {ready.G[0].id}: the health commissioning body's agreement is not " \
        "recorded (s42(3))"  # fmt: skip
    agreement = HealthAgreement(
        agreed_by="NHS West Yorkshire ICB", agreed_on=ISSUED, recorded_by="leeds-caseworker"
    )
    agreed = health_agreed(unagreed, ready.G[0].id, agreement)
    assert agreed.G[0].health_agreement == agreement
    assert before_issue(agreed) == []
    with pytest.raises(NotSuggested):
        health_agreed(unagreed, ready.F[0].id, agreement)


def test_a_form_saving_a_section_keeps_each_lines_marks_and_an_edit_drops_the_agreement() -> None:
    ehc = drafted_from_advice(_support_plan(), DUE)
    g = ehc.G[0]
    agreed = health_agreed(
        ehc, g.id, HealthAgreement(agreed_by="NHS ICB", agreed_on=ISSUED, recorded_by="cw")
    )
    as_posted = [
        {k: v for k, v in line.model_dump(mode="json").items() if k not in ("suggested",
         "health_agreement", "dose")}
        for line in agreed.G
    ]  # fmt: skip
    kept = with_section(agreed, "G", as_posted)
    assert kept.G[0].suggested
    assert kept.G[0].health_agreement is not None
    changed = with_section(agreed, "G", [{**as_posted[0], "weeks": 2}, *as_posted[1:]])
    assert changed.G[0].health_agreement is None
    # Only their own steps confirm a line or record an agreement, never a section saved.
    forged = [
        {**line, "suggested": False, "health_agreement": {"agreed_by": "NHS ICB",
         "agreed_on": str(ISSUED), "recorded_by": "cw"}}
        for line in ehc.model_dump(mode="json")["G"]
    ]  # fmt: skip
    saved = with_section(ehc, "G", forged)
    assert all(p.suggested for p in saved.G)
    assert all(p.health_agreement is None for p in saved.G)


@pytest.mark.parametrize("key", ["C", "D", "H1", "H2", "J"])
def test_finalising_refuses_a_placeholder_section(key: str) -> None:
    placeholder = dated_from(_ready(), ISSUED).model_copy(update={key: TO_BE_WRITTEN})
    [problem] = before_final(placeholder, ISSUED)
    assert problem.startswith(f'section {key}: still says "To be written')


@pytest.mark.parametrize(
    ("placement", "named"),
    [
        ("Named in the final plan, after the family's comments on the draft.", False),
        ("Oak Lane", False),
        ("Oak Lane Primary School, URN 107001", True),
        ("A mainstream primary school near the family's home", True),
        ("A special school for children with autism", True),
    ],
)
def test_section_i_names_a_setting_by_urn_or_type(placement: str, named: bool) -> None:
    plan = dated_from(_ready(), ISSUED).model_copy(update={"I": placement})
    problems = before_final(plan, ISSUED)
    assert (problems == []) is named
    if not named:
        assert problems[0].startswith("section I: name the school or college by its URN")


def test_outcomes_run_from_the_plans_issue_to_its_review_never_from_the_request() -> None:
    ready = _ready()
    # As drafted at intake the outcomes ran from the request: by week 20 they were past.
    support = _support_plan()
    assert all(o.review_on < ISSUED for o in support.E)
    stale = ready.model_copy(update={"E": support.E})
    assert any("is not after the plan's issue" in p for p in before_final(stale, ISSUED))
    final = dated_from(stale, ISSUED)
    assert {o.review_on for o in final.E} == {date(2027, 7, 13)}
    assert all(o.text.startswith("By 13 July 2027, ") for o in final.E)
    assert final.drafted_on == ISSUED
    assert before_final(final, ISSUED) == []
    # A child changing phase before the review: the outcomes run to the end of the phase.
    assert review_after(ISSUED, date(2027, 3, 31)) == date(2027, 3, 31)
    assert review_after(ISSUED, date(2026, 7, 1)) == date(2027, 7, 13)
