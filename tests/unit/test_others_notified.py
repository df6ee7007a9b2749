"""Others told of a step (#21; Regs 4(2), 5(2), 10(2), 13(2)): whom each step is told to, from
the council's configuration, and that notifications sends each at its own mailbox, never to the
family (pure)."""

from __future__ import annotations

from uuid import uuid4

from notifications.catalogue import CATALOGUE, Audience
from notifications.domain import alerts_for
from referrals.notices.council import TeamsTold
from referrals.notices.others import others_to_tell, told_whom

from shared.events import (
    AssessmentDecided,
    EhcAssessmentRequested,
    FinalPlanIssued,
    OthersNotified,
    PlanIssueDecided,
)
from tests.events import sample_event
from tests.unit.test_statutory_messages import _messages

TEAMS = TeamsTold(
    designated_clinical_officer="dco@health.example",
    social_care="social-care@council.example",
    health_commissioning="commissioning@health.example",
    schools={"107958": "senco@school.example"},
)


def test_a_decision_whether_to_assess_is_told_to_the_school_health_and_social_care() -> None:
    told = others_to_tell(sample_event(AssessmentDecided, uuid4()), TEAMS, "107958")
    assert told is not None
    assert (told.step, told.decision) == ("assessment_decided", "refuse")
    assert told.school_email == "senco@school.example"
    assert told.designated_clinical_officer_email == "dco@health.example"
    assert told.social_care_email == "social-care@council.example"
    assert told.health_commissioning_email is None
    assert told_whom(told) == "school:107958,designated_clinical_officer,social_care"


def test_the_request_is_told_too_and_a_school_without_an_address_is_left_out() -> None:
    told = others_to_tell(sample_event(EhcAssessmentRequested, uuid4()), TEAMS, "100000")
    assert told is not None
    assert told.step == "ehc_assessment_requested"
    assert (told.school_urn, told.school_email) == (None, None)
    assert told_whom(told) == "designated_clinical_officer,social_care"


def test_the_final_plan_goes_to_the_named_school_and_the_health_commissioning_body() -> None:
    told = others_to_tell(sample_event(FinalPlanIssued, uuid4()), TEAMS, "107958")
    assert told is not None
    assert told_whom(told) == "school:107958,health_commissioning"


def test_a_decision_to_issue_is_told_to_no_one_and_no_address_means_no_step() -> None:
    issue = sample_event(PlanIssueDecided, uuid4())
    assert isinstance(issue, PlanIssueDecided)
    assert issue.decision == "issue"
    assert others_to_tell(issue, TEAMS, "107958") is None
    not_issue = issue.model_copy(update={"decision": "not_issue"})
    assert others_to_tell(not_issue, TEAMS, "107958") is not None
    assert others_to_tell(not_issue, TeamsTold(), "107958") is None


def test_each_is_sent_at_its_own_mailbox_and_the_family_hears_nothing() -> None:
    event = sample_event(OthersNotified, uuid4())
    alerts = alerts_for(event, CATALOGUE[OthersNotified], event_id=uuid4(), local_authority="E1")
    assert {a.audience for a in alerts} == {Audience.TEAM}
    assert {a.recipient for a in alerts} == {"school", "designated_clinical_officer", "social_care"}
    for _, text in _messages(event):
        assert "the council has decided not to carry out an education, health and care" in text
