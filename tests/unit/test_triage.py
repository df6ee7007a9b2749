"""Triage (#23): a partner's referral without a SEN2 need waits for a caseworker; once the
need is set, everyone is told what ``ReferralReceived`` tells, on a topic of its own."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from notifications.catalogue import CATALOGUE
from notifications.domain import alerts_for
from notifications.templates import email_parts, personalisation, words
from pydantic import ValidationError
from referrals.domain import FamilyContact, NewReferral, Postcode, receive
from referrals.statutory import deadline_dates
from referrals.triage import NeedDecision, triaged

from shared.events import (
    FamilyContactRegistered,
    ReferralAwaitingTriage,
    ReferralReceived,
    ReferralTriaged,
    Sen2Need,
)
from tests.events import sample_event


def _partner_referral(need: Sen2Need | None) -> NewReferral:
    return NewReferral(
        referral_id=uuid4(),
        local_authority="E08000035",
        received_on=date(2026, 1, 5),
        requested_by="health",
        primary_need=need,
        postcode=Postcode.parse("LS6 2AB"),
        contact=FamilyContact(name="Ann Parent", email="ann@example.org"),
        date_of_birth=date(2019, 3, 4),
    )


def test_a_referral_without_a_need_waits_for_triage_and_is_never_received_without_one() -> None:
    waiting, contact = receive(_partner_referral(None), suggested=[Sen2Need.ASD])
    assert isinstance(waiting, ReferralAwaitingTriage)
    assert not isinstance(waiting, ReferralReceived)  # plans drafts from every ReferralReceived
    assert isinstance(contact, FamilyContactRegistered)  # the family hears "we received"
    assert waiting.topic() == "referrals.referral-awaiting-triage.v1"
    assert waiting.suggested_needs == [Sen2Need.ASD]
    assert waiting.final_plan_due == date(2026, 5, 25)


def test_a_referral_with_its_need_is_received_as_before() -> None:
    received, _ = receive(_partner_referral(Sen2Need.SLCN))
    assert type(received) is ReferralReceived


def test_the_need_set_tells_what_a_referral_received_tells_from_the_day_it_came() -> None:
    facts = {
        "local_authority": "E08000035",
        "received_on": date(2026, 1, 5),
        "requested_by": "health",
        "postcode_district": "LS6",
        "track": "support",
        "school_urn": None,
        "language": "en",
        "date_of_birth": date(2019, 3, 4),
    }
    referral_id = uuid4()
    decision = NeedDecision(primary_need=Sen2Need.ASD, secondary_needs=[Sen2Need.SLCN])
    event = triaged(
        referral_id, facts, deadline_dates(date(2026, 1, 5)), decision, date(2026, 1, 20)
    )
    assert isinstance(event, ReferralReceived)  # plans drafts from it as from any referral
    assert event.topic() == "referrals.referral-triaged.v1"  # a topic of its own
    assert event.primary_need == Sen2Need.ASD
    assert event.secondary_needs == [Sen2Need.SLCN]
    assert event.received_on == date(2026, 1, 5)
    assert event.final_plan_due == date(2026, 5, 25)  # the clock from the request, unchanged
    assert event.triaged_on == date(2026, 1, 20)
    assert event.age_years == 6
    assert isinstance(ReferralTriaged.model_validate_json(event.model_dump_json()), ReferralTriaged)


def test_a_secondary_need_may_not_repeat_the_primary() -> None:
    with pytest.raises(ValidationError, match="already the primary need"):
        NeedDecision(primary_need=Sen2Need.ASD, secondary_needs=[Sen2Need.ASD])


def test_the_family_hears_the_request_came_and_that_a_caseworker_decides_the_need_first() -> None:
    waiting = sample_event(ReferralAwaitingTriage, uuid4())
    (alert,) = alerts_for(waiting, CATALOGUE[type(waiting)], event_id=uuid4(), local_authority="E1")
    assert alert.template == "request-received-triage"
    fields = personalisation(
        reference="AB12CD34",
        link="https://council.example/f",
        young_person=False,
        details=alert.details,
    )
    subject, body, _ = email_parts(words(alert.template, "en"), fields)
    assert "We have received the request for support" in subject
    assert "a caseworker will read the request" in body
    # A health professional's referral is no EHC request (s36(1), s24): no EHC dates promised.
    assert "EHC" not in body
    assert "25 May 2026" not in body
    assert not {"{", "}"} & set(body)
    assert ReferralTriaged not in CATALOGUE  # the family heard already: nothing more
