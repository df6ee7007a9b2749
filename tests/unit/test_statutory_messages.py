"""What a family (and the council's SEND team) hears at each step of the statutory EHC process:
the catalogue's entries and their words (pure)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from notifications.catalogue import CATALOGUE, KINDS, Audience
from notifications.config import CouncilMessaging
from notifications.domain import FamilyAlert, Reach, Send, Withhold, alerts_for, next_step
from notifications.templates import TEXTS, email_parts, fields_of, personalisation, render, words
from pydantic import ValidationError

from shared.events import (
    ALL_EVENTS,
    AdviceReceived,
    AdviceRequested,
    AssessmentDecided,
    DeadlineAtRisk,
    DeadlineMissed,
    DomainEvent,
    DraftPlanIssued,
    ExistingAdviceAgreed,
    PlanIssueDecided,
    StatutoryExceptionRecorded,
    StatutoryStep,
)
from tests.events import sample_event

STATUTORY_STEPS = [e for e in ALL_EVENTS if issubclass(e, StatutoryStep)]
SAFE_IN_A_TEXT = {"reference", "link", "who", "whose", "who_is", "deadline"}
"""Besides dates: a text can be read on a lock screen, so no reason, kind of advice or
exception (each could say something about the child's needs) and no name."""
CODES = {"reason", "advice", "exception", "help", "role"}
SPECIALIST_MESSAGES = {"specialist-assigned", "referral-waitlisted", "specialists-matched",
                       "waitlist-place-found", "no-team-in-area", "service-gap",
                       "child-allocated-to-team", "first-session-arranged"}  # fmt: skip
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _messages(event: DomainEvent, young_person: bool = False) -> list[tuple[FamilyAlert, str]]:
    """Each message ``event`` causes, with its email and text rendered in full."""
    rendered = []
    for alert in alerts_for(event, CATALOGUE[type(event)], event_id=uuid4(), local_authority="E1"):
        fields = personalisation(
            reference="AB12CD34",
            link="https://council.example/f",
            young_person=young_person,
            details=alert.details,
        )
        w = words(alert.template, "en")
        subject, plain, _ = email_parts(w, fields)
        text = render(w.sms, fields)
        rendered.append((alert, f"{subject}\n{plain}\n---\n{text}"))
    return rendered


def _variants() -> list[DomainEvent]:
    """Every statutory event once, and each decision both ways."""
    samples = [sample_event(e, uuid4()) for e in STATUTORY_STEPS if e in CATALOGUE]
    refused = sample_event(AssessmentDecided, uuid4())
    assert isinstance(refused, AssessmentDecided)
    issuing = sample_event(PlanIssueDecided, uuid4())
    return [
        *samples,
        refused.model_copy(
            update={"decision": "assess", "refusal_reason": None, "appeal_by": None}
        ),
        issuing.model_copy(
            update={
                "decision": "not_issue",
                "reason": "needs_met_by_sen_support",
                "appeal_by": refused.appeal_by,
            }
        ),
    ]


def test_every_statutory_step_but_advice_received_causes_a_message() -> None:
    """Nor existing advice agreed (Reg 6(4)): the family agreed to it themselves."""
    assert len(STATUTORY_STEPS) == 12
    silent = {AdviceReceived, ExistingAdviceAgreed}
    for step in STATUTORY_STEPS:
        assert (step in CATALOGUE) is (step not in silent), step.name


def test_every_message_renders_from_a_sample_event_with_nothing_left_unfilled() -> None:
    seen = set()
    for event in _variants():
        messages = _messages(event)
        assert messages, event.name
        for alert, text in messages:
            seen.add(alert.template)
            assert not {"{", "}"} & set(text), alert.template
            assert "AB12CD34" in text
            assert "https://council.example/f" in text
    plan_messages = {"plan-shared", "plan-review-due", "plan-comments-received"}
    # Not statutory steps' messages.
    others = {
        "request-received",
        "request-received-triage",
        "partner-referral-held",
        "confirm-request",
    }
    # their own tests (test_annual_review_messages, test_ceasing_messages, ...)
    reviews = {
        k for k in KINDS if k.startswith(("annual-review-", "amend", "phase-transfer-", "ceasing-"))
    }
    # A transfer in's and a re-assessment's: their own test (test_reassessment_messages).
    later = {k for k in KINDS if k.startswith(("transferred-plan-", "reassessment-"))}
    assert seen == set(KINDS) - SPECIALIST_MESSAGES - others - plan_messages - reviews - later


def test_no_text_message_holds_a_name_or_anything_about_needs() -> None:
    for template, w in TEXTS["en"].items():
        in_text = set(re.findall(r"\{(\w+)\}", w.sms))
        dates = {f for f in in_text if f.endswith(("_on", "_due", "_by"))}
        assert in_text - dates <= SAFE_IN_A_TEXT, template
        assert not in_text & CODES, template
    for event in _variants():
        for _, text in _messages(event):
            sms = text.split("---\n")[1]
            assert "special educational needs" not in sms
            assert "psychologist" not in sms
            assert "away from the area" not in sms


def test_a_refusal_gives_the_reason_the_appeal_date_and_mediation() -> None:
    [(alert, text)] = _messages(sample_event(AssessmentDecided, uuid4()))
    assert alert.template == "assessment-refused"
    assert alert.statutory
    email, sms = text.split("---\n")
    assert "does not suggest special educational needs" in email  # the reason, in words
    assert "SEND) Tribunal. You must appeal by 10 April 2026" in email
    assert "mediation adviser" in email
    assert "SEND Tribunal by 10 April 2026" in sms
    assert "Mediation advice is available" in sms


def test_not_issuing_a_plan_gives_the_reason_the_appeal_date_and_mediation() -> None:
    [event] = [e for e in _variants() if getattr(e, "decision", None) == "not_issue"]
    [(alert, text)] = _messages(event)
    assert alert.template == "plan-not-issued"
    assert "SEN support" in text
    assert "You must appeal by 10 April 2026" in text
    assert "mediation" in text


def test_each_decision_sends_only_the_words_of_its_outcome() -> None:
    assess, issue = _variants()[-2], sample_event(PlanIssueDecided, uuid4())
    assert [a.template for a, _ in _messages(assess)] == ["assessment-agreed"]
    assert [a.template for a, _ in _messages(issue)] == ["plan-to-be-issued"]


def test_a_young_person_who_asked_is_told_you() -> None:
    [(_, text)] = _messages(sample_event(AssessmentDecided, uuid4()), young_person=True)
    assert "assessment for you (reference" in text
    assert "your child" not in text


def test_the_draft_plan_gives_the_comment_date_and_the_right_to_name_a_school() -> None:
    [(alert, text)] = _messages(sample_event(DraftPlanIssued, uuid4()))
    assert alert.statutory
    assert "comments by 25 April 2026" in text
    assert "particular school" in text


def test_an_exception_is_told_as_the_law_excuses_it_never_as_extended_limits_or_new_dates() -> None:
    """An exception excuses a time limit where meeting it is impractical (Regs 5(4), 10(4),
    13(3)): it sets no new legal date, so a family is never told of "new dates"."""
    event = sample_event(StatutoryExceptionRecorded, uuid4()).model_copy(
        update={"deadlines": {"final_plan": date(2026, 6, 8), "decision": date(2026, 3, 30)}}
    )
    [(alert, text)] = _messages(event)
    assert alert.template == "deadlines-moved"
    assert "we do not have to meet it" in text
    for told in ("extended", "new date", "8 June 2026", "30 March 2026", "have changed"):
        assert told not in text.lower(), told


@pytest.mark.parametrize(
    ("deadline", "said", "never"),
    [
        ("final_plan", "a time limit set by law", "target"),
        ("decision", "a time limit set by law", "target"),
        ("draft_plan", "our own target date, not a time limit set by law", "legal"),
        ("issue_decision", "our own target date, not a time limit set by law", "legal"),
        ("advice:medical", "the end of the 6 weeks the law gives a professional", "target"),
    ],
)
def test_a_missed_date_is_called_legal_only_when_the_law_sets_it(
    deadline: str, said: str, never: str
) -> None:
    # (A placeholder is never right after "(": Notify would read "(((limit)))" wrongly.)
    """Only the 6-week decision, the 16-week notice not to issue, the 20-week final plan and
    6 weeks for advice are legal limits: the draft's and the issue decision's dates are the
    council's own targets, to the family and to the SEND team."""
    event = sample_event(DeadlineMissed, uuid4()).model_copy(update={"deadline": deadline})
    texts = dict((a.audience, t) for a, t in _messages(event))
    for text in texts.values():
        assert said in text
        assert never not in text.split("---")[0].lower()
        assert "statutory deadline" not in text
    assert "missed that deadline" not in texts[Audience.FAMILY]


def test_advice_requested_names_the_advice_by_email_only_and_the_council_chooses_it() -> None:
    event = sample_event(AdviceRequested, uuid4()).model_copy(
        update={"kinds": ["educational_psychology", "medical", "teacher_of_the_deaf"]}
    )
    [(alert, text)] = [(a, t) for a, t in _messages(event) if a.audience is Audience.FAMILY]
    email, sms = text.split("---\n")
    assert (
        "advice from an educational psychologist, medical advice and advice from a "
        "specialist teacher" in email
    )
    assert "deaf" not in text
    assert "psychologist" not in sms
    assert KINDS[alert.template].council_chooses
    reach = Reach(email="a@example.org")
    policy = CouncilMessaging().policy()
    assert isinstance(next_step(alert, reach, policy, [], NOON), Withhold)
    chosen = CouncilMessaging(optional_messages=frozenset({"advice-requested"})).policy()
    assert isinstance(next_step(alert, reach, chosen, [], NOON), Send)


def test_each_adviser_asked_gets_a_message_of_their_own_and_none_names_the_child() -> None:
    event = sample_event(AdviceRequested, uuid4()).model_copy(
        update={"kinds": ["parent", "educational_psychology", "medical"]}
    )
    assert isinstance(event, AdviceRequested)
    advisers = [(a, t) for a, t in _messages(event) if a.audience is Audience.ADVISER]
    assert sorted(a.recipient for a, _ in advisers) == ["educational_psychology", "medical"]
    psychologist = next(t for a, t in advisers if a.recipient == "educational_psychology")
    assert "The council asks for your psychological advice" in psychologist
    assert f"by {event.due_on.day} {event.due_on:%B %Y}" in psychologist
    assert "https://council.example/f" in psychologist  # their link
    assert all(KINDS[a.template].channels == ("email",) for a, _ in advisers)
    assert not any(KINDS[a.template].council_chooses for a, _ in advisers)


def test_an_adviser_the_council_gives_no_email_for_is_withheld_not_sent() -> None:
    event = sample_event(AdviceRequested, uuid4()).model_copy(update={"kinds": ["medical"]})
    [alert] = [a for a, _ in _messages(event) if a.audience is Audience.ADVISER]
    policy = CouncilMessaging().policy()
    assert isinstance(next_step(alert, Reach(), policy, [], NOON), Withhold)
    sent = next_step(alert, Reach(email="dmo@nhs.example", preferred="email"), policy, [], NOON)
    assert isinstance(sent, Send)
    assert sent.channel == "email"


def test_a_deadline_at_risk_goes_to_the_team_and_a_missed_one_to_the_team_and_family() -> None:
    at_risk = _messages(sample_event(DeadlineAtRisk, uuid4()))
    [(team, text)] = [(a, t) for a, t in at_risk if a.audience is Audience.CASEWORKER]
    assert team.statutory
    assert "Days left: 5" in text
    missed = _messages(sample_event(DeadlineMissed, uuid4()))
    assert {a.audience for a, _ in missed} == {Audience.CASEWORKER, Audience.FAMILY}
    assert all(a.statutory for a, _ in missed)
    family = next(t for a, t in missed if a.audience is Audience.FAMILY)
    assert "our decision whether to carry out an EHC needs assessment, due by 16 February" in (
        family
    )


def test_a_deadline_at_risk_tells_the_family_plainly_where_the_council_chooses_it() -> None:
    at_risk = _messages(sample_event(DeadlineAtRisk, uuid4()))
    [(family, text)] = [(a, t) for a, t in at_risk if a.audience is Audience.FAMILY]
    assert family.template == "deadline-at-risk-family"
    assert KINDS[family.template].council_chooses
    email, sms = text.split("---\n")
    assert (
        "our decision whether to carry out an EHC needs assessment is due by 16 February 2026"
        in (email)
    )
    assert "we may not meet that date" in email
    assert "Days left" not in email  # the team's words, not the family's
    assert "(ref AB12CD34)" in sms
    assert "https://council.example/f" in sms
    assert set(re.findall(r"\{(\w+)\}", words(family.template, "en").sms)) <= SAFE_IN_A_TEXT | {
        "due_on"
    }
    # Advice's deadline names no kind of advice, even by email (a lock screen, a shared inbox).
    advice = sample_event(DeadlineAtRisk, uuid4()).model_copy(
        update={"deadline": "advice:teacher_of_the_deaf"}
    )
    texts = [t for a, t in _messages(advice) if a.audience is Audience.FAMILY]
    assert "advice from a professional" in texts[0]
    assert "deaf" not in texts[0]


@pytest.mark.parametrize(
    "template",
    ["ehc-assessment-requested", "assessment-agreed", "assessment-refused", "plan-to-be-issued",
     "plan-not-issued", "draft-plan-issued", "final-plan-issued", "deadline-missed-family"],
)  # fmt: skip
def test_decisions_plans_and_missed_deadlines_reach_families_who_opted_out(template: str) -> None:
    assert KINDS[template].statutory
    assert fields_of(template) >= {"reference", "link"}


def test_a_council_need_not_create_templates_for_messages_it_does_not_send() -> None:
    ids = {m: uuid4() for m in KINDS if m != "advice-requested"}
    templates = {"en": {"email": ids}}
    CouncilMessaging(email="notify", sms=None, notify_api_key="k", notify_templates=templates)
    with pytest.raises(ValidationError, match="email/advice-requested"):
        CouncilMessaging(
            email="notify", sms=None, notify_api_key="k", notify_templates=templates,
            optional_messages=frozenset({"advice-requested"}),
        )  # fmt: skip


def test_no_placeholder_follows_an_opening_bracket() -> None:
    """Notify's placeholders are ((name)): "({name}" becomes "(((name", which Notify misreads
    (it asked for the personalisation "(limit")."""
    for template, w in TEXTS["en"].items():
        assert "({" not in w.subject + w.body + w.sms, template
