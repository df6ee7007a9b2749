"""The family's messages about ceasing their plan (s45, Reg 31): told that the council is
considering it and asked for their views by a day, before any decision (no appeal yet); a
decision to cease with the right to appeal, its date, mediation, disagreement resolution and
SENDIASS, and the plan kept until the time to appeal has passed or an appeal is decided; a
decision not to cease says the plan stays. Each rendered in full; the school and the health
commissioning body are told of a decision to cease in their own words."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from notifications.catalogue import CATALOGUE, Audience
from notifications.templates import words

from shared.events import PlanCeasingDecided, PlanCeasingProposed
from tests.unit.test_statutory_messages import _messages

LEEDS = "E08000035"
COMMON = {"referral_id": uuid4(), "local_authority": LEEDS, "cessation_id": uuid4()}


def _decided(decision: str) -> PlanCeasingDecided:
    return PlanCeasingDecided.model_validate(
        {
            **COMMON,
            "decision": decision,
            "decided_on": date(2027, 4, 1),
            "reason": "no_longer_necessary",
            "appeal_by": date(2027, 6, 1) if decision == "cease" else None,
        }
    )


def test_the_family_is_told_the_council_is_considering_it_and_asked_for_views() -> None:
    event = PlanCeasingProposed(
        **COMMON, reason="no_longer_necessary", proposed_on=date(2027, 3, 1),
        views_by=date(2027, 3, 22),
    )  # fmt: skip
    ((alert, text),) = _messages(event)
    assert alert.audience is Audience.FAMILY
    assert CATALOGUE[PlanCeasingProposed][0].statutory
    assert not {"{", "}"} & set(text)
    assert "considering ceasing" in text
    assert "We have not decided" in text
    assert "22 March 2027" in text
    assert "school" in text
    assert "appeal" not in text  # nothing to appeal before a decision


def test_a_decision_to_cease_gives_the_right_to_appeal_and_keeps_the_plan_meanwhile() -> None:
    ((alert, text),) = _messages(_decided("cease"))
    assert alert.template == "ceasing-decided"
    assert not {"{", "}"} & set(text)
    assert "1 June 2027" in text
    assert "within 1 month of the date on your mediation certificate" in text
    assert "mediation adviser" in text
    assert "disagreement resolution" in text
    assert "SENDIASS" in text
    assert "keep the plan until the time to appeal has passed" in text
    assert "https://council.example/f" in text  # the letter with the reasons


def test_a_decision_not_to_cease_says_the_plan_stays() -> None:
    ((alert, text),) = _messages(_decided("keep"))
    assert alert.template == "ceasing-not-ceased"
    assert not {"{", "}"} & set(text)
    assert "stays in place" in text
    assert "appeal" not in text


def test_the_school_and_health_commissioning_are_told_of_a_decision_to_cease() -> None:
    from notifications.others_words import TOLD_WORDS

    assert "cease to maintain" in TOLD_WORDS["plan_ceasing_decided:cease"]
    assert words("ceasing-decided", "en").subject.startswith("We have decided to cease")
