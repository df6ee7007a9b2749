from uuid import uuid4

import asyncpg
import pytest
from pydantic import ValidationError

from shared.events import (
    ALL_EVENTS,
    Envelope,
    FamilyContactRegistered,
    NotificationSent,
    RawEnvelope,
    ReferralWaitlisted,
    wrap,
)
from shared.failures import Failure, InvalidEvent, classify, reason
from shared.subscriptions import parse
from shared.topics import PARTNER_EVENTS, platform_topics


def test_topics_are_versioned_and_each_has_a_dead_letter_topic() -> None:
    topics = platform_topics()
    assert "referrals.referral-received.v1" in topics
    assert "referrals.referral-received.v1.dlq" in topics
    assert "nhs.referrals.inbound.v1.dlq" in topics  # the NHS partners' topic, no event class
    # Events to one partner are on each partner's own topic, which the code alone names none of.
    assert len(topics) == 2 * (len(ALL_EVENTS) - len(PARTNER_EVENTS) + 1)


def _waitlisted() -> ReferralWaitlisted:
    return ReferralWaitlisted(
        referral_id=uuid4(),
        plan_id=uuid4(),
        specialism="sensory_support",
        local_authority="E08000035",
    )


def test_envelope_round_trips_as_cloudevents_json() -> None:
    event = _waitlisted()
    envelope = wrap(event, source="/send-platform/specialists", local_authority="E1")
    wire = envelope.model_dump_json().encode()
    back = parse(wire, ReferralWaitlisted)
    assert back.specversion == "1.0"
    assert back.type == "uk.send-platform.specialists.referral-waitlisted.v1"
    assert back.subject == str(event.referral_id)
    assert Envelope[ReferralWaitlisted].model_validate_json(wire).data == event


def test_consumers_ignore_unknown_fields_added_later() -> None:
    envelope = wrap(_waitlisted(), source="/x", local_authority="E1").model_dump(mode="json")
    envelope["data"]["added_in_a_later_release"] = True
    envelope["brandnewattribute"] = "x"
    wire = RawEnvelope(**envelope).model_dump_json().encode()
    parse(wire, ReferralWaitlisted)
    assert Envelope[ReferralWaitlisted].model_validate_json(wire).data.specialism == (
        "sensory_support"
    )


def test_an_event_of_another_type_is_invalid_and_says_so() -> None:
    body = wrap(_waitlisted(), source="/x", local_authority="E1").model_dump_json()
    with pytest.raises(InvalidEvent, match="is not"):
        parse(body.encode(), NotificationSent)


def test_an_envelope_whose_subject_is_not_its_referral_is_invalid() -> None:
    envelope = wrap(_waitlisted(), source="/x", local_authority="E1").model_dump(mode="json")
    envelope["subject"] = str(uuid4())
    with pytest.raises(InvalidEvent, match="subject"):
        parse(RawEnvelope(**envelope).model_dump_json().encode(), ReferralWaitlisted)


def test_an_invalid_event_names_the_field_and_reason() -> None:
    envelope = wrap(_waitlisted(), source="/x", local_authority="E1").model_dump(mode="json")
    del envelope["data"]["plan_id"]
    with pytest.raises(ValidationError) as caught:
        Envelope[ReferralWaitlisted].model_validate(envelope)
    assert reason(caught.value) == "data.plan_id: Field required"


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (asyncpg.SerializationError("could not serialize"), Failure.TRANSIENT),
        (asyncpg.DeadlockDetectedError("deadlock"), Failure.TRANSIENT),
        (asyncpg.LockNotAvailableError("lock timeout"), Failure.TRANSIENT),
        (asyncpg.QueryCanceledError("statement timeout"), Failure.TRANSIENT),
        (ConnectionRefusedError("refused"), Failure.OUTAGE),
        (asyncpg.CannotConnectNowError("starting up"), Failure.OUTAGE),
        (asyncpg.ConnectionDoesNotExistError("closed"), Failure.OUTAGE),
        (TimeoutError(), Failure.OUTAGE),
        (LookupError("referral x is not known here"), Failure.PERMANENT),
        (ValueError("broken rule"), Failure.PERMANENT),
        (asyncpg.UniqueViolationError("duplicate key"), Failure.PERMANENT),
        (FileNotFoundError("an OSError that is no outage"), Failure.PERMANENT),
    ],
)
def test_failures_are_classified_by_type(error: Exception, kind: Failure) -> None:
    assert classify(error) is kind


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
