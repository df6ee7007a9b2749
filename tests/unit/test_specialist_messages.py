"""What a family hears about specialists: one message per plan's matching, one per place from
the waitlist, and "no team serves your area" apart from "all full" (pure)."""

from __future__ import annotations

from uuid import uuid4

import pytest
from notifications.catalogue import CATALOGUE, Audience
from notifications.domain import alerts_for
from notifications.templates import email_parts, personalisation, render, words

from shared.events import DomainEvent, ReferralWaitlisted, SpecialistAssigned, SpecialistsMatched
from tests.events import sample_event


def _told(event: DomainEvent) -> list[tuple[str, Audience, str, str]]:
    """(template, audience, email, text) of each message ``event`` causes."""
    found = []
    for alert in alerts_for(event, CATALOGUE[type(event)], event_id=uuid4(), local_authority="E1"):
        fields = personalisation(
            reference="AB12CD34", link="https://x/f", young_person=False, details=alert.details
        )
        w = words(alert.template, "en")
        _, plain, _ = email_parts(w, fields)
        found.append((alert.template, alert.audience, plain, render(w.sms, fields)))
    return found


def _assigned(**changes: object) -> DomainEvent:
    return sample_event(SpecialistAssigned, uuid4()).model_copy(update=changes)


def _waitlisted(**changes: object) -> DomainEvent:
    return sample_event(ReferralWaitlisted, uuid4()).model_copy(update=changes)


@pytest.mark.parametrize(
    ("event", "templates"),
    [
        (_assigned(), ["specialist-assigned"]),  # the plan's one role: its own message
        (_assigned(told_in_match=True), []),  # listed in the plan's one message instead
        (_assigned(from_waitlist=True), ["waitlist-place-found"]),
        (_waitlisted(), ["referral-waitlisted"]),
        (_waitlisted(told_in_match=True), []),
        (_waitlisted(reason="no_team"), ["no-team-in-area", "service-gap"]),
        (_waitlisted(reason="no_team", told_in_match=True), ["service-gap"]),
    ],
)
def test_which_message_each_outcome_causes(event: DomainEvent, templates: list[str]) -> None:
    assert [t for t, *_ in _told(event)] == templates


def test_the_plans_one_message_lists_who_will_help_in_plain_words() -> None:
    [(template, audience, email, sms)] = _told(sample_event(SpecialistsMatched, uuid4()))
    assert (template, audience) == ("specialists-matched", Audience.FAMILY)
    assert (
        "Who will help: a speech and language therapist (matched: they will contact you), an "
        "educational psychologist (matched: they will contact you), an occupational therapist "
        "(on the waiting list: all local places are taken just now) and a physiotherapist (no "
        "team of this kind serves your area yet: we have told the council)." in email
    )
    assert "therapist" not in sms  # a text names no role: it can be read on a lock screen
    assert "{" not in email + sms


def test_no_team_is_a_different_message_from_all_full_and_flags_the_gap() -> None:
    [(_, _, full, _)] = _told(_waitlisted())
    (_, _, none, none_sms), (_, audience, gap, _) = _told(_waitlisted(reason="no_team"))
    assert "waiting list" in full
    assert "no team of that kind serves your area" in none
    assert "waiting list" not in none
    assert "speech" not in none_sms
    assert audience == Audience.CASEWORKER
    assert "needs a speech and language therapist" in gap


def test_a_sensory_teacher_is_named_without_the_impairment() -> None:
    event = _assigned(from_waitlist=True, specialism="hearing_impairment_teaching")
    [(_, _, email, _)] = _told(event)
    assert "with a specialist teacher" in email
    assert "deaf" not in email
    assert "hearing" not in email
