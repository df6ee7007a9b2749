"""What an NHS partner's integration does: publish a referral as a FHIR message Bundle in a
CloudEvent, in each content mode, and read the answer on its own outcome topic
(``nhs.referrals.outcome.<partner>.v1``).

    python -m referrals.partner_example                       # against `make run`'s platform
    python -m referrals.partner_example leeds-community-paediatrics   # as another partner
    python -m referrals.partner_example --triage   # no SEN2 need: ODS + SNOMED CT, role + text
    python -m referrals.partner_example --advice leeds-community-paediatrics
        # wait for an advice Task on the partner's own topic; answer it with a PDF and summary

Uses the CloudEvents SDK's Kafka binding, as a partner would. Each run's children are made up
and new (a random NHS number of the 999 test range, which `make run` accepts, and a random
family name), so every run is accepted, never refused as a child already referred.

(Longer than most modules: a whole partner's side in one file an integration engineer can
read and copy: the Bundle, both content modes, and reading the answers.)
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import string
import sys
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from cloudevents.core.bindings.kafka import KafkaMessage, to_binary, to_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from referrals.fhir_bundle import (
    NHS_NUMBER_SYSTEM,
    ODS_SYSTEM,
    SEN2_SYSTEM,
    SNOMED_SYSTEM,
    TRACK_SYSTEM,
)
from referrals.health_advice import ADVICE_TASK_SYSTEM
from referrals.partner_advice import ADVICE_EVENT_TYPE as ADVICE_EVENT_TYPE
from referrals.partner_advice import SUMMARY_EXTENSION
from shared.events import PartnerAdviceRequested, PartnerReferralAnswered
from shared.settings import KafkaSettings

EVENT_TYPE = "uk.nhs.referrals.service-request.v1"


def random_test_nhs_number() -> str:
    """A random NHS number of the 999 range, kept for tests and never issued, whose Modulus 11
    check digit is valid (the services take them with ACCEPT_TEST_NHS_NUMBERS)."""
    while True:
        first = f"999{secrets.randbelow(10**6):06d}"
        total = sum(int(d) * w for d, w in zip(first, range(10, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        if check != 10:
            return f"{first}{check}"


def random_family_name() -> str:
    """A made-up family name, different each time (letters only, as a name is)."""
    return "Nguyễn-" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(6)).title()


def example_bundle(
    *,
    nhs_number: str = "9990000018",
    given: str = "Siân",
    family: str = "Nguyễn",
    born: date | None = None,
    email: str = "ann.parent@example.org",
    need: str | None = "SLCN",
    reasons: list[dict[str, Any]] | None = None,
    requester: str = "organization",
    at: datetime | None = None,
) -> dict[str, Any]:
    """A FHIR R4 message Bundle: MessageHeader -> ServiceRequest (status active, intent order,
    reason coded), its requester Organization (ODS code), its subject Patient (NHS number,
    name, birth date, postcode) and the family's RelatedPerson (email, postal address).
    ``need``: a SEN2 code in the platform's code system (None: none, the referral waits for
    triage); ``reasons``: further ``reasonCode`` entries as NHS systems send them (SNOMED CT
    codings, text: ``snomed_reason``, ``text_reason``); ``requester``: ``organization`` (in
    the bundle), ``practitioner-role`` (in the bundle, with its Organization) or ``ods`` (a
    logical reference by ODS code, nothing in the bundle). ``at``: when it is sent (now if
    left out); the child is six that year unless ``born`` says otherwise."""
    at = at or datetime.now(UTC)
    born = born or date(at.year - 6, 5, 1)
    bundle = _bundle(nhs_number, given, family, born, email, at)
    request = bundle["entry"][1]["resource"]
    request["reasonCode"] = [
        *([{"coding": [{"system": SEN2_SYSTEM, "code": need}]}] if need is not None else []),
        *(reasons or []),
    ]
    if not request["reasonCode"]:
        del request["reasonCode"]
    if requester == "ods":
        del bundle["entry"][3]
        request["requester"] = {
            "type": "Organization",
            "identifier": {"system": ODS_SYSTEM, "value": "RR8"},
        }
    elif requester == "practitioner-role":
        bundle["entry"].append(
            {
                "fullUrl": "urn:uuid:7c1a6b1e-0000-4000-8000-000000000006",
                "resource": {
                    "resourceType": "PractitionerRole",
                    "organization": {"reference": "urn:uuid:7c1a6b1e-0000-4000-8000-000000000004"},
                    "code": [{"text": "Community paediatrician"}],
                },
            }
        )
        request["requester"] = {"reference": "urn:uuid:7c1a6b1e-0000-4000-8000-000000000006"}
    return bundle


def snomed_reason(code: str, display: str) -> dict[str, Any]:
    """A reason coded in SNOMED CT, as NHS systems send one (the concept is the partner's)."""
    return {"coding": [{"system": SNOMED_SYSTEM, "code": code, "display": display}]}


def text_reason(text: str) -> dict[str, Any]:
    """A reason as text only: the referrer's words."""
    return {"text": text}


def _bundle(
    nhs_number: str, given: str, family: str, born: date, email: str, at: datetime
) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "message",
        "timestamp": at.isoformat(),
        "entry": [
            {
                "fullUrl": "urn:uuid:7c1a6b1e-0000-4000-8000-000000000001",
                "resource": {
                    "resourceType": "MessageHeader",
                    "eventCoding": {
                        "system": "https://fhir.nhs.uk/CodeSystem/message-event",
                        "code": "servicerequest-request",
                    },
                    "source": {"endpoint": "https://trust.example.nhs.uk/fhir"},
                    "focus": [{"reference": "urn:uuid:7c1a6b1e-0000-4000-8000-000000000002"}],
                },
            },
            {
                "fullUrl": "urn:uuid:7c1a6b1e-0000-4000-8000-000000000002",
                "resource": {
                    "resourceType": "ServiceRequest",
                    "status": "active",
                    "intent": "order",
                    "category": [{"coding": [{"system": TRACK_SYSTEM, "code": "support"}]}],
                    "code": {"text": "Speech and language support"},
                    "authoredOn": at.date().isoformat(),
                    "subject": {"reference": "urn:uuid:7c1a6b1e-0000-4000-8000-000000000003"},
                    "requester": {"reference": "urn:uuid:7c1a6b1e-0000-4000-8000-000000000004"},
                },
            },
            {
                "fullUrl": "urn:uuid:7c1a6b1e-0000-4000-8000-000000000003",
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": nhs_number}],
                    "name": [{"family": family, "given": [given]}],
                    "birthDate": born.isoformat(),
                    "address": [{"postalCode": "LS6 2AB"}],
                },
            },
            {
                "fullUrl": "urn:uuid:7c1a6b1e-0000-4000-8000-000000000004",
                "resource": {
                    "resourceType": "Organization",
                    "identifier": [{"system": ODS_SYSTEM, "value": "RR8"}],
                    "name": "Leeds Community Paediatrics",
                },
            },
            {
                "fullUrl": "urn:uuid:7c1a6b1e-0000-4000-8000-000000000005",
                "resource": {
                    "resourceType": "RelatedPerson",
                    "patient": {"reference": "urn:uuid:7c1a6b1e-0000-4000-8000-000000000003"},
                    "name": [{"text": "Ann Parent"}],
                    "telecom": [{"system": "email", "value": email}],
                    "address": [
                        {
                            "line": ["12 Otley Road", "Headingley"],
                            "city": "Leeds",
                            "postalCode": "LS6 2AB",
                        }
                    ],
                },
            },
        ],
    }


def example_advice(
    task_id: str, pdf: bytes, summary: dict[str, str] | None = None
) -> dict[str, Any]:
    """A partner's answer to an advice Task (``PartnerAdviceRequested``): a FHIR R4
    ``DocumentReference`` naming the Task's identifier, the advice as a PDF (base64), and
    optionally the adviser's summary (``needs``, ``outcomes-sought``,
    ``provision-recommended``) as an extension. Published with ``partner_record(...,
    event_type=ADVICE_EVENT_TYPE)``."""
    document: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "status": "current",
        "type": {"text": "Medical advice for an EHC needs assessment"},
        "context": {"related": [{"identifier": {"system": ADVICE_TASK_SYSTEM, "value": task_id}}]},
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "title": "medical-advice.pdf",
                    "data": base64.b64encode(pdf).decode(),
                }
            }
        ],
    }
    if summary is not None:
        document["extension"] = [
            {
                "url": SUMMARY_EXTENSION,
                "extension": [{"url": url, "valueString": text} for url, text in summary.items()],
            }
        ]
    return document


def partner_record(
    data: Any,
    *,
    partner: str = "west-yorkshire-slt",
    council: str = "E08000035",
    request_id: str | None = None,
    mode: str = "binary",
    event_type: str = EVENT_TYPE,
) -> KafkaMessage:
    """The Kafka record a partner publishes: ``data`` in a CloudEvent, in ``mode`` (binary:
    ``ce_*`` headers and the FHIR JSON as the value; structured: the whole event as JSON),
    keyed by the partner's request identifier."""
    event = CloudEvent(
        attributes={
            "id": str(uuid4()),
            "source": f"/nhs/partners/{partner}",
            "type": event_type,
            "datacontenttype": "application/fhir+json" if mode == "binary" else "application/json",
            "localauthority": council,
            "partitionkey": request_id or f"SR-{uuid4().hex[:10]}",
        },
        data=data,
    )
    convert = to_binary if mode == "binary" else to_structured
    return convert(event, JSONFormat())


def _bundle_for(mode: str, triage: bool) -> dict[str, Any]:
    number, family = random_test_nhs_number(), random_family_name()
    if not triage:
        return example_bundle(nhs_number=number, family=family)
    if mode == "binary":  # the example concept (#23): an example, not a clinical fact
        reason = snomed_reason("35919005", "Pervasive developmental disorder")
        return example_bundle(
            nhs_number=number, family=family, need=None, requester="ods", reasons=[reason]
        )
    words = text_reason("Few words at four; finds playing with other children hard")
    return example_bundle(
        nhs_number=number, family=family, need=None, requester="practitioner-role",
        reasons=[words],
    )  # fmt: skip


async def publish_examples(
    kafka: KafkaSettings,
    timeout_s: float = 30,
    partner: str = "west-yorkshire-slt",
    *,
    triage: bool = False,
) -> dict[str, dict[str, Any]]:
    """Publish a referral in each content mode (a new made-up child each) as ``partner`` and
    wait for their answers on its own outcome topic; returns each mode's answer (the outcome
    event's data). It publishes on the partner's own inbound topic (``PARTNER_TOPICS``) if it
    has one, else on the shared one. ``triage``: referrals without a SEN2 need, as NHS systems
    send them (binary: a logical ODS reference and a SNOMED CT reason; structured: a
    PractitionerRole and text only), accepted to wait for a caseworker's triage."""
    producer = AIOKafkaProducer(**kafka.kafka_client_options(), acks="all")
    inbound = kafka.partner_topics.get(partner, kafka.partner_inbound_topic)
    answers = AIOKafkaConsumer(
        # Each partner's answers come on its own topic, which no other partner may read.
        f"{kafka.namespace}{PartnerReferralAnswered.topic_of(partner)}",
        **kafka.kafka_client_options(),
        auto_offset_reset="latest",
        group_id=f"{partner}.example-{uuid4().hex[:8]}",  # its Kafka user's groups: <partner>.*
    )
    await answers.start()
    await producer.start()
    try:
        async with asyncio.timeout(timeout_s):
            while not answers.assignment():  # read from the end as it is before we publish
                await answers.getmany(timeout_ms=100)
            for partition in answers.assignment():
                await answers.position(partition)
            wanted: dict[str, str] = {}
            found: dict[str, dict[str, Any]] = {}
            for mode in ("binary", "structured"):
                request_id = f"SR-{uuid4().hex[:10]}"
                bundle = _bundle_for(mode, triage)
                record = partner_record(bundle, partner=partner, mode=mode, request_id=request_id)
                await producer.send_and_wait(
                    f"{kafka.namespace}{inbound}",
                    record.value,
                    key=request_id.encode(),
                    headers=list(record.headers.items()),
                )
                wanted[request_id] = mode
                print(f"published a referral in {mode} mode, request {request_id}")
            while wanted:
                for records in (await answers.getmany(timeout_ms=500)).values():
                    for message in records:
                        answer = json.loads(message.value)["data"]
                        if answer["request_id"] in wanted:
                            found[wanted.pop(answer["request_id"])] = answer
        return found
    finally:
        await producer.stop()
        await answers.stop()


async def answer_advice_task(
    kafka: KafkaSettings,
    partner: str,
    timeout_s: float = 300,
    ready: asyncio.Event | None = None,
) -> dict[str, Any]:
    """Wait for the next advice Task on ``partner``'s own topic
    (``nhs.advice.requested.<partner>.v1``), answer it with a made-up PDF and summary
    (``example_advice``) on the partner's inbound topic, and return the answer to that.
    ``ready`` is set once it reads the topic from its end (a Task asked after is seen)."""
    tasks = AIOKafkaConsumer(
        f"{kafka.namespace}{PartnerAdviceRequested.topic_of(partner)}",
        f"{kafka.namespace}{PartnerReferralAnswered.topic_of(partner)}",
        **kafka.kafka_client_options(),
        auto_offset_reset="latest",
        group_id=f"{partner}.example-{uuid4().hex[:8]}",
    )
    producer = AIOKafkaProducer(**kafka.kafka_client_options(), acks="all")
    await tasks.start()
    await producer.start()
    request_id = f"ADV-{uuid4().hex[:10]}"
    asked = False
    try:
        async with asyncio.timeout(timeout_s):
            while len(tasks.assignment()) < 2:  # read from the end as it is now
                await tasks.getmany(timeout_ms=100)
            for partition in tasks.assignment():
                await tasks.position(partition)
            if ready is not None:
                ready.set()
            while True:
                for records in (await tasks.getmany(timeout_ms=500)).values():
                    for message in records:
                        data = json.loads(message.value)["data"]
                        if not asked and "kind" in data:
                            task_id = data["resource"]["identifier"][0]["value"]
                            print(f"advice asked: Task {task_id}, due {data['due_on']}")
                            advice = example_advice(task_id, b"%PDF-1.7\n% example\n%%EOF\n", {
                                "needs": "Speech and language delay",
                                "outcomes-sought": "Joins in with conversation with peers",
                                "provision-recommended": "Speech and language therapy",
                            })  # fmt: skip
                            record = partner_record(
                                advice, partner=partner, event_type=ADVICE_EVENT_TYPE,
                                request_id=request_id,
                            )  # fmt: skip
                            inbound = kafka.partner_topics.get(partner, kafka.partner_inbound_topic)
                            await producer.send_and_wait(
                                f"{kafka.namespace}{inbound}", record.value,
                                key=request_id.encode(), headers=list(record.headers.items()),
                            )  # fmt: skip
                            asked = True
                        elif data.get("request_id") == request_id:
                            answer: dict[str, Any] = data
                            return answer
    finally:
        await producer.stop()
        await tasks.stop()


async def main() -> None:
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    names = [a for a in sys.argv[1:] if not a.startswith("--")]
    partner = names[0] if names else "west-yorkshire-slt"
    if "--advice" in flags:
        print(f"waiting for an advice Task on {PartnerAdviceRequested.topic_of(partner)}")
        answer = await answer_advice_task(KafkaSettings(), partner)
        print(f"\nadvice answered: {answer['outcome']}")
        print(json.dumps(answer["resource"], indent=2))
        return
    try:
        answers = await publish_examples(
            KafkaSettings(), partner=partner, triage="--triage" in flags
        )
    except TimeoutError:
        sys.exit("no answer within 30 s: is the platform running (make run)?")
    print(f"answers read on {PartnerReferralAnswered.topic_of(partner)}")
    for mode, answer in answers.items():
        print(f"\n{mode} mode: {answer['outcome']}")
        print(json.dumps(answer["resource"], indent=2))


if __name__ == "__main__":
    asyncio.run(main())
