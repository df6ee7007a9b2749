"""What a family hears about specialists: one message per plan's matching, one per place from
the waitlist, and "no team serves your area" apart from "all full" (pure)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from notifications.catalogue import CATALOGUE, Audience
from notifications.domain import alerts_for
from notifications.templates import email_parts, personalisation, render, words

from shared.events import (
    DomainEvent,
    FirstSessionArranged,
    ReferralWaitlisted,
    SpecialistAssigned,
    SpecialistsMatched,
)
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
    changes = {"team_email": None, **changes}
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


TEAM = "slt.north@leeds.example.org"


@pytest.mark.parametrize(
    ("event", "family"),
    [
        (_assigned(team_email=TEAM), ["specialist-assigned"]),
        (_assigned(team_email=TEAM, told_in_match=True), []),
        (_assigned(team_email=TEAM, from_waitlist=True), ["waitlist-place-found"]),
    ],
)
def test_the_team_allocated_is_told_at_its_own_address_however_the_family_hears(
    event: DomainEvent, family: list[str]
) -> None:
    alerts = alerts_for(event, CATALOGUE[type(event)], event_id=uuid4(), local_authority="E1")
    [team] = [a for a in alerts if a.audience is Audience.TEAM]
    assert [a.template for a in alerts if a.audience is Audience.FAMILY] == family
    assert (team.template, team.team_email) == ("child-allocated-to-team", TEAM)
    assert all(a.team_email is None for a in alerts if a is not team)
    [(_, _, email, _)] = [t for t in _told(event) if t[1] is Audience.TEAM]
    assert "needing a speech and language therapist has been allocated to your team" in email
    assert "Please accept the allocation and arrange a first session" in email


def test_an_entry_without_an_address_causes_no_team_message() -> None:
    assert all(a is not Audience.TEAM for _, a, *_ in _told(_assigned(from_waitlist=True)))


def test_the_family_is_told_the_first_sessions_day_and_a_text_names_no_role() -> None:
    event = sample_event(FirstSessionArranged, uuid4()).model_copy(
        update={"session_on": date(2027, 3, 8), "specialism": "speech_and_language_therapy"}
    )
    [(template, audience, email, sms)] = _told(event)
    assert (template, audience) == ("first-session-arranged", Audience.FAMILY)
    assert "with a speech and language therapist is on 8 March 2027" in email
    assert "8 March 2027" in sms
    assert "therapist" not in sms
