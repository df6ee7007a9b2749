from uuid import uuid4

import pytest
from notifications.domain import alert_for
from pydantic import ValidationError

from shared.events import (
    ALL_EVENTS,
    EventEnvelope,
    FamilyContactRegistered,
    NotificationSent,
    ReferralWaitlisted,
)
from shared.inbox import InvalidEvent, parse, reason
from shared.topics import platform_topics


def test_topics_are_versioned_and_each_has_a_dead_letter_topic() -> None:
    topics = platform_topics()
    assert "referrals.referral-received.v1" in topics
    assert "referrals.referral-received.v1.dlq" in topics
    assert len(topics) == 2 * len(ALL_EVENTS)


def _waitlisted() -> ReferralWaitlisted:
    return ReferralWaitlisted(
        referral_id=uuid4(),
        plan_id=uuid4(),
        specialism="sensory_support",
        local_authority="E08000035",
    )


def test_envelope_round_trips_as_cloudevents_json() -> None:
    event = _waitlisted()
    envelope = EventEnvelope.wrap(event, source="/send-platform/specialists", local_authority="E1")
    wire = envelope.model_dump_json()
    back, parsed = parse(wire.encode(), ReferralWaitlisted)
    assert back.specversion == "1.0"
    assert back.type == "uk.send-platform.specialists.referral-waitlisted.v1"
    assert back.subject == str(event.referral_id)
    assert parsed == event


def test_consumers_ignore_unknown_fields_added_later() -> None:
    envelope = EventEnvelope.wrap(_waitlisted(), source="/x", local_authority="E1").model_dump(
        mode="json"
    )
    envelope["data"]["added_in_a_later_release"] = True
    envelope["brandnewattribute"] = "x"
    _, parsed = parse(EventEnvelope(**envelope).model_dump_json().encode(), ReferralWaitlisted)
    assert parsed.specialism == "sensory_support"


def test_an_event_of_another_type_is_invalid_and_says_so() -> None:
    body = EventEnvelope.wrap(_waitlisted(), source="/x", local_authority="E1").model_dump_json()
    with pytest.raises(InvalidEvent, match="is not"):
        parse(body.encode(), NotificationSent)


def test_an_invalid_event_names_the_field_and_reason() -> None:
    envelope = EventEnvelope.wrap(_waitlisted(), source="/x", local_authority="E1").model_dump(
        mode="json"
    )
    del envelope["data"]["plan_id"]
    with pytest.raises(InvalidEvent, match=r"plan_id: Field required"):
        parse(EventEnvelope(**envelope).model_dump_json().encode(), ReferralWaitlisted)


def test_family_alert_says_what_happened_and_where_to_look_without_the_childs_details() -> None:
    event = _waitlisted()
    alert = alert_for(
        event,
        event_id=uuid4(),
        local_authority="E08000035",
        tracking_url="https://council.example/referrals/{referral_id}",
    )
    assert alert.template == "referral-waitlisted"
    assert f"https://council.example/referrals/{event.referral_id}" in alert.body
    assert str(event.referral_id)[:8].upper() in alert.body


def test_dead_letter_reason_names_the_field_but_never_its_value() -> None:
    with pytest.raises(ValidationError) as caught:
        FamilyContactRegistered.model_validate(
            {
                "referral_id": str(uuid4()),
                "contact_name": "Ann Example",
                "email": "ann@example.org",
                "preferred_channel": "pigeon",
            }
        )
    why = reason(caught.value)
    assert "preferred_channel" in why
    assert "pigeon" not in why
