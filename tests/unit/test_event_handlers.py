"""Handler parsing and dead-lettering, on FastStream's in-memory test broker (no Kafka, no
PostgreSQL: a message that does not parse never reaches the database)."""

from __future__ import annotations

import importlib
from typing import Any
from uuid import uuid4

import pytest
from fastapi import FastAPI
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from shared.events import RawEnvelope, ReferralReceived, wrap
from shared.services import EVENT_SERVICES
from shared.state import service_state
from tests.events import sample_event

TOPIC = ReferralReceived.topic()


def _app(service: str) -> FastAPI:
    app: FastAPI = importlib.import_module(f"{service}.app").create_app()
    return app


def _dead_letters(broker: KafkaBroker) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    @broker.subscriber(f"{TOPIC}.dlq")
    async def dead_lettered(msg: KafkaMessage) -> None:
        seen.append({"body": msg.body, **msg.headers})

    return seen


def _referral_received() -> dict[str, Any]:
    event = sample_event(ReferralReceived, uuid4())
    return wrap(event, source="/tests", local_authority="E08000035").model_dump(mode="json")


@pytest.mark.parametrize(
    ("body", "exception", "reason"),
    [
        (b"{not json", "InvalidEvent", "not a CloudEvent"),
        (b'{"specversion": "1.0"}', "InvalidEvent", "subject: Field required"),
    ],
)
async def test_a_message_that_is_no_cloudevent_is_dead_lettered_at_once(
    body: bytes, exception: str, reason: str
) -> None:
    broker = service_state(_app("plans")).broker
    dead = _dead_letters(broker)
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(body, TOPIC, key=b"k")
    [letter] = dead
    assert letter["body"] == body  # the original bytes, for replay
    assert letter["dlq-exception"] == exception
    assert reason in letter["dlq-reason"]
    assert letter["dlq-attempts"] == "1"
    assert letter["dlq-consumer"] == "plans"
    assert letter["dlq-original-topic"] == TOPIC


async def test_an_event_with_an_invalid_field_is_dead_lettered_naming_the_field_not_its_value() -> (
    None
):
    broker = service_state(_app("plans")).broker
    dead = _dead_letters(broker)
    message = _referral_received()
    message["data"]["postcode_district"] = {"nested": "Ann Example, 1 Private Road"}
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(RawEnvelope(**message).model_dump_json().encode(), TOPIC)
    [letter] = dead
    assert "data.postcode_district" in letter["dlq-reason"]
    assert "Ann Example" not in letter["dlq-reason"]


async def test_an_event_of_another_type_on_the_topic_is_dead_lettered() -> None:
    broker = service_state(_app("plans")).broker
    dead = _dead_letters(broker)
    message = _referral_received()
    message["type"] = "uk.send-platform.plans.plan-drafted.v1"
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(RawEnvelope(**message).model_dump_json().encode(), TOPIC)
    [letter] = dead
    assert letter["dlq-reason"].startswith("type:")


@pytest.mark.parametrize("service", EVENT_SERVICES)
def test_every_subscriber_commits_only_after_its_handler_succeeded(service: str) -> None:
    broker = service_state(_app(service)).broker
    policies = {s.ack_policy for s in broker.subscribers}
    assert policies == {AckPolicy.NACK_ON_ERROR}
