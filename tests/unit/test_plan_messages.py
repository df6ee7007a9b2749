"""What a plan's life tells the family and the council's SEND team (pure): a shared support
plan and a review due to the family; the family's own response to the SEND team; an EHC
plan's draft and final issue nothing of their own (referrals' statutory steps tell the family,
so the family hears once)."""

from __future__ import annotations

from uuid import uuid4

from notifications.catalogue import CATALOGUE, Audience
from notifications.domain import alerts_for
from notifications.templates import email_parts, personalisation, render, words
from referrals.domain import FAMILY_WORDS, STEP_OF_EVENT, PlanStep

from shared.events import (
    DomainEvent,
    PlanAgreed,
    PlanCommentsReceived,
    PlanDrafted,
    PlanFinalised,
    PlanIssuedForComment,
    PlanReviewDue,
    PlanRevised,
    PlanShared,
)
from tests.events import plan_samples

SAMPLES = plan_samples(uuid4())


def _told(event: DomainEvent) -> list[tuple[str, Audience, str]]:
    told = []
    for alert in alerts_for(
        event, CATALOGUE.get(type(event), ()), event_id=uuid4(), local_authority="E1"
    ):
        fields = personalisation(
            reference="AB12CD34", link="https://council.example/f", young_person=False,
            details=alert.details,
        )  # fmt: skip
        w = words(alert.template, "en")
        subject, plain, _ = email_parts(w, fields)
        told.append(
            (alert.template, alert.audience, f"{subject}\n{plain}\n{render(w.sms, fields)}")
        )
    return told


def test_a_shared_support_plan_and_a_review_due_reach_the_family() -> None:
    [(template, audience, text)] = _told(SAMPLES[PlanShared])
    assert (template, audience) == ("plan-shared", Audience.FAMILY)
    assert "support plan" in text
    assert "https://council.example/f" in text
    [(template, audience, text)] = _told(SAMPLES[PlanReviewDue])
    assert (template, audience) == ("plan-review-due", Audience.FAMILY)
    assert "27 April 2026" in text
    assert "{" not in text


def test_the_familys_response_goes_to_the_send_team_unless_a_caseworker_took_it() -> None:
    response = SAMPLES[PlanCommentsReceived]
    [(template, audience, text)] = _told(response)
    assert (template, audience) == ("plan-comments-received", Audience.CASEWORKER)
    assert "9 February 2026" in text
    by_phone = response.model_copy(update={"taken_by": "caseworker"})
    assert _told(by_phone) == []


def test_an_ehc_plans_draft_and_final_issue_cause_no_second_message() -> None:
    for quiet in (PlanIssuedForComment, PlanFinalised, PlanAgreed, PlanRevised):
        assert quiet not in CATALOGUE, quiet.name
        assert _told(SAMPLES[quiet]) == []


def test_every_step_of_a_plans_life_reads_to_the_family_on_the_timeline() -> None:
    for step, _ in STEP_OF_EVENT.values():
        assert step in FAMILY_WORDS, step
    assert set(PlanStep) <= set(FAMILY_WORDS)
    assert {e for e, (_, s) in STEP_OF_EVENT.items() if s == "plans"} == {
        PlanDrafted, PlanShared, PlanCommentsReceived, PlanAgreed, PlanRevised, PlanReviewDue,
    }  # fmt: skip


def test_every_timeline_step_is_in_the_familys_words_or_hidden_from_them() -> None:
    """The family's page shows each step of the timeline in their words: a step with neither
    words nor a place in HIDDEN_FROM_FAMILY failed their whole page (an annual review's steps,
    #22, did)."""
    from referrals.domain import HIDDEN_FROM_FAMILY, ContactStep, StatutoryStep, Step

    every = {*Step, *StatutoryStep, *PlanStep, *ContactStep}
    assert every - set(FAMILY_WORDS) - HIDDEN_FROM_FAMILY == set()
