"""Referrals arriving on the intake topic take the same path as POST /v1/referrals."""

from __future__ import annotations

from uuid import uuid4

import httpx
from aiokafka import AIOKafkaProducer

from shared.events import ReferralRequested, wrap
from shared.settings import KafkaSettings
from shared.topics import dead_letter_topic
from tests.e2e.conftest import wait_for_timeline
from tests.events import COUNCIL, referral_request
from tests.integration.conftest import read_topic


async def _publish(kafka: KafkaSettings, event: ReferralRequested) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka.kafka_bootstrap_servers)
    await producer.start()
    try:
        envelope = wrap(event, source="/tests/intake", local_authority=COUNCIL)
        await producer.send_and_wait(
            f"{kafka.namespace}{ReferralRequested.topic()}",
            envelope.model_dump_json().encode(),
            key=envelope.subject.encode(),
        )
    finally:
        await producer.stop()


async def test_a_referral_on_the_intake_topic_reaches_the_family_alert(
    referrals_api: httpx.AsyncClient, kafka: KafkaSettings
) -> None:
    referral_id = uuid4()
    await _publish(kafka, ReferralRequested(referral_id=referral_id, request=referral_request()))
    referral = await wait_for_timeline(referrals_api, str(referral_id))
    assert referral["status"] == "specialist_assigned"  # the journey's furthest step
    assert referral["local_authority"] == COUNCIL


async def test_an_invalid_intake_request_is_dead_lettered_naming_the_field_not_the_value(
    kafka: KafkaSettings, referrals_api: httpx.AsyncClient
) -> None:
    request = referral_request(given_name="Zephyrine")
    child = request["child"]
    assert isinstance(child, dict)
    child["nhs_number"] = "999 000 0027"  # a wrong check digit
    referral_id = uuid4()
    await _publish(kafka, ReferralRequested(referral_id=referral_id, request=request))
    dead = await read_topic(
        kafka.kafka_bootstrap_servers,
        f"{kafka.namespace}{dead_letter_topic(ReferralRequested.topic())}",
        1,
        key=str(referral_id),  # this request's, not another test's dead letter
    )
    headers = {k: v.decode() for k, v in dead[0].headers}
    assert "child.nhs_number" in headers["dlq-reason"]
    assert headers["dlq-attempts"] == "1"
    assert "Zephyrine" not in headers["dlq-reason"]
