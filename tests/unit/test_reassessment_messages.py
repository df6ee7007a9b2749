"""The family's messages of a plan transferred in (Reg 15) and of a re-assessment (Regs 24-27):
each a duty (sent to a family who opted out of others), rendered with nothing left unfilled;
a refusal to re-assess and the re-assessment's outcome speak of an appeal (s51), a decision
to re-assess and the transfer's words do not."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from notifications.catalogue import CATALOGUE, Audience

from shared.events import (
    DomainEvent,
    ReassessmentConcluded,
    ReassessmentDecided,
    TransferredPlanDecided,
)
from tests.unit.test_statutory_messages import _messages

LEEDS = "E08000035"


def _told(reassess: bool) -> TransferredPlanDecided:
    return TransferredPlanDecided(
        referral_id=uuid4(), local_authority=LEEDS, transfer_id=uuid4(),
        from_council="E08000036", reassess=reassess, told_on=date(2027, 2, 1),
        decide_by=date(2027, 2, 12), late=False, review_due=date(2027, 4, 1),
        reassessment_id=uuid4() if reassess else None,
        finalise_by=date(2027, 5, 10) if reassess else None,
    )  # fmt: skip


def _decided(reassess: bool) -> ReassessmentDecided:
    return ReassessmentDecided(
        referral_id=uuid4(), local_authority=LEEDS, reassessment_id=uuid4(),
        reassess=reassess, decided_on=date(2027, 3, 1), decide_by=date(2027, 3, 5), late=False,
        finalise_by=date(2027, 6, 7) if reassess else None,
        appeal_by=None if reassess else date(2027, 5, 1),
    )  # fmt: skip


def _concluded(outcome: str) -> ReassessmentConcluded:
    return ReassessmentConcluded.model_validate(
        {"referral_id": uuid4(), "local_authority": LEEDS, "reassessment_id": uuid4(),
         "outcome": outcome, "concluded_on": date(2027, 6, 1), "finalise_by": date(2027, 6, 7),
         "late": False, "appeal_by": date(2027, 8, 1)}
    )  # fmt: skip


EVENTS: list[DomainEvent] = [
    _told(True), _told(False), _decided(True), _decided(False),
    _concluded("plan_amended"), _concluded("plan_not_amended"),
]  # fmt: skip


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.name)
def test_each_message_is_a_duty_and_renders_in_full(event: DomainEvent) -> None:
    ((alert, text),) = _messages(event)
    assert alert.audience is Audience.FAMILY
    assert next(k for k in CATALOGUE[type(event)] if k.template == alert.template).statutory
    assert not {"{", "}"} & set(text), alert.template
    assert "AB12CD34" in text
    assert "https://council.example/f" in text


def test_the_words_say_what_each_step_is_and_no_more() -> None:
    reassess, kept, agreed, refused, amended, not_amended = (_messages(e)[0][1] for e in EVENTS)
    assert "will carry out a new EHC needs assessment" in reassess
    assert "10 May 2027" in reassess  # 14 weeks from telling the family
    assert "will not carry out a new EHC needs assessment" in kept
    assert "1 April 2027" in kept  # the review Reg 15 sets
    for words in (reassess, kept, agreed):
        assert "appeal" not in words
    assert "7 June 2027" in agreed
    for words in (refused, amended, not_amended):
        assert "appeal" in words
        assert "1 month of the date on your mediation certificate" in words
    assert "1 May 2027" in refused
    assert "1 August 2027" in amended
