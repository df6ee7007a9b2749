"""NHS partners publish referrals as FHIR in CloudEvents, and every message gets an answer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from cloudevents.core.bindings.kafka import KafkaMessage
from referrals.partner_example import example_bundle, partner_record, publish_examples

from scripts.platform import Platform
from scripts.run_platform import demo_nhs_number
from shared.dates import london_today
from shared.events import PartnerReferralAnswered
from shared.settings import KafkaSettings
from shared.topics import PARTNER_INBOUND_TOPIC, dead_letter_topic
from tests.e2e.conftest import PARTNER_TOPICS, wait_for_timeline
from tests.events import referral_request

NHS_NUMBER_PATH = "Patient.identifier.where(system='https://fhir.nhs.uk/Id/nhs-number').value"


LEEDS_TOPIC = PARTNER_TOPICS["leeds-community-paediatrics"]


def _bundle(
    *, nhs_number: str | None = None, born: date | None = None, postcode: str | None = None
) -> dict[str, Any]:
    marker = uuid4().hex[:8]
    bundle = example_bundle(
        nhs_number=nhs_number or demo_nhs_number(),
        given=f"Given{marker}",
        family=f"Family{marker}",
        email=f"parent.{marker}@example.org",
        born=born,
    )
    if postcode is not None:
        bundle["entry"][2]["resource"]["address"][0]["postalCode"] = postcode
    return bundle


async def _publish(
    kafka: KafkaSettings, *records: tuple[str, KafkaMessage], topic: str = PARTNER_INBOUND_TOPIC
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        for request_id, record in records:
            await producer.send_and_wait(
                f"{kafka.namespace}{topic}",
                record.value,
                key=request_id.encode(),
                headers=list(record.headers.items()),
            )
    finally:
        await producer.stop()


async def _records(
    kafka: KafkaSettings,
    topic: str,
    request_id: str,
    count: int,
    timeout_s: float = 30,
    keep: Callable[[Any], bool] = lambda _: True,
) -> list[Any]:
    """The first ``count`` records of ``topic`` keyed ``request_id`` (that ``keep`` keeps), in
    order."""
    consumer = AIOKafkaConsumer(
        f"{kafka.namespace}{topic}",
        bootstrap_servers=kafka.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        group_id=f"reader-{uuid4().hex}",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[Any] = []
    try:
        async with asyncio.timeout(timeout_s):
            while len(found) < count:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    found.extend(r for r in records if r.key == request_id.encode() and keep(r))
    finally:
        await consumer.stop()
    return found


async def _answers(
    kafka: KafkaSettings,
    request_id: str,
    count: int = 1,
    progress: bool = False,
    partner: str = "west-yorkshire-slt",
) -> list[dict[str, Any]]:
    """The first ``count`` answers to ``request_id``'s messages on ``partner``'s own outcome
    topic, in order; with ``progress``, counting the later milestones' Task updates among them
    too."""
    records = await _records(
        kafka,
        PartnerReferralAnswered.topic_of(partner),
        request_id,
        count,
        keep=lambda r: progress or json.loads(r.value)["data"]["outcome"] != "progressed",
    )
    return [json.loads(r.value)["data"] for r in records]


@pytest.mark.parametrize("mode", ["binary", "structured"])
async def test_a_partner_referral_in_either_mode_reaches_the_family_alert_and_is_accepted(
    mode: str, kafka: KafkaSettings, referrals_api: httpx.AsyncClient, platform: Platform
) -> None:
    request_id = f"SR-{uuid4().hex}"
    await _publish(kafka, (request_id, partner_record(_bundle(), mode=mode)))
    (answer,) = await _answers(kafka, request_id)
    assert answer["outcome"] == "accepted"
    task = answer["resource"]
    assert task["resourceType"] == "Task"
    assert task["status"] == "accepted"
    referral_id = task["identifier"][0]["value"]
    assert task["output"][0]["valueUrl"] == f"{platform.url('web')}/referrals/{referral_id}"
    referral = await wait_for_timeline(referrals_api, referral_id)
    assert referral["requested_by"] == "health"
    assert referral["local_authority"] == "E08000035"


@dataclass(frozen=True)
class Bad:
    """A bad message: ``make`` gives the records to publish, the last the bad one (any before
    it are accepted first); its answer's one issue is at ``location``."""

    make: Callable[[], list[KafkaMessage]]
    location: str
    topic: str = PARTNER_INBOUND_TOPIC
    answered_to: str | None = "west-yorkshire-slt"
    """Whose own outcome topic the answer is on; None: nobody's (an unverified claim)."""


def _one(make: Callable[[], KafkaMessage]) -> Callable[[], list[KafkaMessage]]:
    return lambda: [make()]


def _invalid_birth_date() -> KafkaMessage:
    bundle = _bundle()
    bundle["entry"][2]["resource"]["birthDate"] = "2019-13-01"
    return partner_record(bundle)


def _bad_family_postcode() -> KafkaMessage:
    bundle = _bundle()
    bundle["entry"][4]["resource"]["address"][0]["postalCode"] = "Given LS6 2CI"
    return partner_record(bundle)


BAD_MESSAGES: dict[str, Bad] = {
    "malformed bytes (binary)": Bad(
        _one(
            lambda: KafkaMessage(
                headers=partner_record(_bundle()).headers, key=None, value=b"\xff{not json"
            )
        ),
        "Bundle",
    ),
    "non-FHIR body": Bad(_one(lambda: partner_record({"hello": "world"})), "resourceType"),
    "unknown resource type": Bad(
        _one(lambda: partner_record({"resourceType": "Referal"})), "resourceType"
    ),
    "not a Bundle": Bad(_one(lambda: partner_record({"resourceType": "Patient"})), "resourceType"),
    "bad NHS number": Bad(
        _one(lambda: partner_record(_bundle(nhs_number="9990000027"))), NHS_NUMBER_PATH
    ),
    "age out of range": Bad(
        _one(lambda: partner_record(_bundle(born=date(london_today().year - 30, 1, 1)))),
        "Patient.birthDate",
    ),
    "bad postcode": Bad(
        _one(lambda: partner_record(_bundle(postcode="NOT A POSTCODE"))),
        "Patient.address[0].postalCode",
    ),
    "bad family postcode (for letters)": Bad(
        _one(_bad_family_postcode), "Bundle.entry[4].resource.address[0].postalCode"
    ),
    "invalid birthDate": Bad(_one(_invalid_birth_date), "Bundle.entry[2].resource.birthDate"),
    "unknown partner": Bad(
        _one(lambda: partner_record(_bundle(), partner="st-elsewhere")),
        "CloudEvent.source",
        answered_to=None,  # not a partner the platform knows: no outcome topic
    ),
    "a council the partner may not refer to": Bad(
        _one(
            lambda: partner_record(
                _bundle(), partner="leeds-community-paediatrics", council="E08000032"
            )
        ),
        "CloudEvent.localauthority",
        topic=LEEDS_TOPIC,
        answered_to="leeds-community-paediatrics",
    ),
    "on a partner's own topic, a claim to be another partner": Bad(
        _one(lambda: partner_record(_bundle(), partner="west-yorkshire-slt")),
        "CloudEvent.source",
        topic=LEEDS_TOPIC,
        answered_to="leeds-community-paediatrics",  # the topic's owner: only it may write there
    ),
    "a partner with a topic of its own, on the shared topic": Bad(
        _one(lambda: partner_record(_bundle(), partner="leeds-community-paediatrics")),
        "CloudEvent.source",
        answered_to=None,  # anyone may claim it here: never answered among its own answers
    ),
}


@pytest.mark.parametrize("case", list(BAD_MESSAGES))
async def test_a_bad_message_is_rejected_naming_where_and_kept_on_the_dead_letter_topic(
    case: str, kafka: KafkaSettings, platform: Any
) -> None:
    bad = BAD_MESSAGES[case]
    *before, record = bad.make()
    for earlier in before:
        earlier_id = f"SR-{uuid4().hex}"
        await _publish(kafka, (earlier_id, earlier), topic=bad.topic)
        assert [a["outcome"] for a in await _answers(kafka, earlier_id)] == ["accepted"]
    request_id = f"SR-{uuid4().hex}"
    await _publish(kafka, (request_id, record), topic=bad.topic)
    if bad.answered_to is not None:
        (answer,) = await _answers(kafka, request_id, partner=bad.answered_to)
        assert answer["outcome"] == "rejected"
        assert answer["partner"] == bad.answered_to
        issues = answer["resource"]["issue"]
        assert [i["expression"][0] for i in issues] == [bad.location]
    (dead,) = await _records(kafka, dead_letter_topic(PARTNER_INBOUND_TOPIC), request_id, 1)
    assert dead.value == record.value
    headers = {k: v.decode() for k, v in dead.headers}
    assert headers["dlq-original-topic"] == f"{kafka.namespace}{bad.topic}"
    assert bad.location in headers["dlq-reason"]
    assert "Given" not in headers["dlq-reason"]  # field names, never values


async def test_a_partner_on_its_own_topic_is_accepted_end_to_end(
    kafka: KafkaSettings, referrals_api: httpx.AsyncClient
) -> None:
    request_id = f"SR-{uuid4().hex}"
    record = partner_record(_bundle(), partner="leeds-community-paediatrics")
    await _publish(kafka, (request_id, record), topic=LEEDS_TOPIC)
    (answer,) = await _answers(kafka, request_id, partner="leeds-community-paediatrics")
    assert answer["outcome"] == "accepted"
    assert answer["partner"] == "leeds-community-paediatrics"
    await wait_for_timeline(referrals_api, answer["resource"]["identifier"][0]["value"])


async def test_the_partner_example_run_twice_is_accepted_twice(
    kafka: KafkaSettings, platform: Any
) -> None:
    first, second = await publish_examples(kafka), await publish_examples(kafka)
    for answers in (first, second):
        assert {mode: a["outcome"] for mode, a in answers.items()} == {
            "binary": "accepted",
            "structured": "accepted",
        }


async def test_unreadable_structured_bytes_are_kept_on_the_dead_letter_topic(
    kafka: KafkaSettings, platform: Any
) -> None:
    request_id = f"SR-{uuid4().hex}"
    garbage = KafkaMessage(headers={}, key=None, value=b"\x00\x01 not a cloud event")
    await _publish(kafka, (request_id, garbage))
    (dead,) = await _records(kafka, dead_letter_topic(PARTNER_INBOUND_TOPIC), request_id, 1)
    assert dead.value == garbage.value
    assert "CloudEvent" in {k: v.decode() for k, v in dead.headers}["dlq-reason"]


async def test_a_republished_request_makes_one_referral_and_repeats_the_same_answer(
    kafka: KafkaSettings, referrals_api: httpx.AsyncClient
) -> None:
    request_id = f"SR-{uuid4().hex}"
    bundle = _bundle()
    first = partner_record(bundle, mode="binary")
    # The same record twice, then republished as a new CloudEvent in the other mode.
    await _publish(
        kafka,
        (request_id, first),
        (request_id, first),
        (request_id, partner_record(bundle, mode="structured")),
    )
    answers = await _answers(kafka, request_id, 3)
    assert {a["outcome"] for a in answers} == {"accepted"}
    assert all(a["resource"] == answers[0]["resource"] for a in answers)
    referral_id = answers[0]["resource"]["identifier"][0]["value"]
    await wait_for_timeline(referrals_api, referral_id)


async def test_answers_to_one_request_come_in_the_order_it_was_published(
    kafka: KafkaSettings, platform: Any
) -> None:
    request_id = f"SR-{uuid4().hex}"
    await _publish(
        kafka,
        (request_id, partner_record(_bundle(nhs_number="9990000027"))),  # rejected
        (request_id, partner_record(_bundle())),  # corrected: accepted
        (request_id, partner_record({"resourceType": "Patient"})),  # after acceptance: rejected
    )
    answers = await _answers(kafka, request_id, 3)
    assert [a["outcome"] for a in answers] == ["rejected", "accepted", "rejected"]


async def test_later_milestones_follow_the_answer_as_task_status_updates(
    kafka: KafkaSettings, referrals_api: httpx.AsyncClient
) -> None:
    request_id = f"SR-{uuid4().hex}"
    await _publish(kafka, (request_id, partner_record(_bundle())))
    answers = await _answers(kafka, request_id, 3, progress=True)
    assert [a["outcome"] for a in answers] == ["accepted", "progressed", "progressed"]
    accepted, *updates = (a["resource"] for a in answers)
    assert [u["status"] for u in updates] == ["in-progress", "in-progress"]
    assert [u["businessStatus"]["coding"][0]["code"] for u in updates] == [
        "plan-drafted",
        "specialist-assigned",
    ]
    for update in updates:
        assert update["identifier"] == accepted["identifier"]
        assert update["groupIdentifier"] == accepted["groupIdentifier"]
        assert update["output"] == accepted["output"]
    referral_id = accepted["identifier"][0]["value"]
    await wait_for_timeline(referrals_api, referral_id)


async def test_a_referral_not_from_a_partner_gets_no_task_update(
    kafka: KafkaSettings, referrals_api: httpx.AsyncClient
) -> None:
    response = await referrals_api.post("/v1/referrals", json=referral_request())
    assert response.status_code == 201
    referral_id = response.json()["id"]
    await wait_for_timeline(referrals_api, referral_id)  # plan drafted, specialist assigned
    request_id = f"SR-{uuid4().hex}"  # a partner's referral too, so the topic has answers
    await _publish(kafka, (request_id, partner_record(_bundle())))
    await _answers(kafka, request_id)
    consumer = AIOKafkaConsumer(
        f"{kafka.namespace}{PartnerReferralAnswered.topic_of('west-yorkshire-slt')}",
        bootstrap_servers=kafka.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        group_id=f"reader-{uuid4().hex}",
        enable_auto_commit=False,
    )
    await consumer.start()
    referral_ids: list[str] = []
    try:
        async with asyncio.timeout(30):
            while not consumer.assignment():
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    referral_ids += [json.loads(r.value)["data"]["referral_id"] for r in records]
            ends = await consumer.end_offsets(list(consumer.assignment()))
            while any([await consumer.position(p) < end for p, end in ends.items()]):
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    referral_ids += [json.loads(r.value)["data"]["referral_id"] for r in records]
    finally:
        await consumer.stop()
    assert referral_ids  # the partner's answer is there: the topic was read
    assert referral_id not in referral_ids


async def test_a_partner_referring_a_child_another_partner_referred_learns_nothing_of_it(
    kafka: KafkaSettings, platform: Any, referrals_api: httpx.AsyncClient, caseworker: Any
) -> None:
    """Over real Kafka: Leeds community paediatrics refers a child on its own topic; West
    Yorkshire SLT refers the same child on the shared one. Each reads only its own answers;
    West Yorkshire's is a plain acceptance with an id of its own; the child's family is not
    told twice, and the council's SEND team is told, on the first referral, to match it."""
    bundle = _bundle()
    first, second = f"SR-{uuid4().hex}", f"SR-{uuid4().hex}"
    leeds = "leeds-community-paediatrics"
    await _publish(kafka, (first, partner_record(bundle, partner=leeds)), topic=LEEDS_TOPIC)
    (accepted,) = await _answers(kafka, first, partner=leeds)
    known = accepted["resource"]["identifier"][0]["value"]
    await wait_for_timeline(referrals_api, known)
    await _publish(kafka, (second, partner_record(bundle)))

    (answer,) = await _answers(kafka, second)  # on West Yorkshire SLT's own topic
    assert answer["outcome"] == "accepted"
    held = answer["resource"]["identifier"][0]["value"]
    assert held != known
    assert known not in json.dumps(answer)
    listed = await referrals_api.get("/v1/held-referrals", params={"limit": 200})
    (item,) = [i for i in listed.json()["items"] if i["id"] == held]
    assert item["suspected_referral_id"] == known
    async with httpx.AsyncClient(
        base_url=platform.url("notifications"), timeout=10, headers=caseworker
    ) as notifications:
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            log = (await notifications.get(f"/v1/referrals/{known}/notifications")).json()
            templates = [a["template"] for a in log]
            if "partner-referral-held" in templates:
                break
            assert asyncio.get_running_loop().time() < deadline, templates
            await asyncio.sleep(0.1)
    assert templates.count("request-received") == 1  # the family was not told again
    (alert,) = [a for a in log if a["template"] == "partner-referral-held"]
    assert alert["audience"] == "caseworker"
