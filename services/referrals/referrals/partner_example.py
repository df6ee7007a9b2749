"""What an NHS partner's integration does: publish a referral as a FHIR message Bundle in a
CloudEvent, in each content mode, and read the answer.

    python -m referrals.partner_example   # against the platform `make run` started

Uses the CloudEvents SDK's Kafka binding, as a partner would. The child is made up (an NHS
number of the 999 test range, which `make run` accepts).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from cloudevents.core.bindings.kafka import KafkaMessage, to_binary, to_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from referrals.fhir_bundle import NHS_NUMBER_SYSTEM, ODS_SYSTEM, SEN2_SYSTEM, TRACK_SYSTEM
from shared.events import PartnerReferralAnswered
from shared.topics import PARTNER_INBOUND_TOPIC

EVENT_TYPE = "uk.nhs.referrals.service-request.v1"


def example_bundle(
    *,
    nhs_number: str = "9990000018",
    given: str = "Siân",
    family: str = "Nguyễn",
    born: date | None = None,
    email: str = "ann.parent@example.org",
    need: str = "SLCN",
) -> dict[str, Any]:
    """A FHIR R4 message Bundle: MessageHeader -> ServiceRequest (status active, intent order,
    reason coded), its requester Organization (ODS code), its subject Patient (NHS number,
    name, birth date, postcode) and the family's RelatedPerson."""
    born = born or date(date.today().year - 6, 5, 1)
    return {
        "resourceType": "Bundle",
        "type": "message",
        "timestamp": datetime.now(UTC).isoformat(),
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
                    "reasonCode": [{"coding": [{"system": SEN2_SYSTEM, "code": need}]}],
                    "authoredOn": datetime.now(UTC).date().isoformat(),
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
                },
            },
        ],
    }


def partner_record(
    data: Any,
    *,
    partner: str = "west-yorkshire-slt",
    council: str = "E08000035",
    request_id: str | None = None,
    mode: str = "binary",
) -> KafkaMessage:
    """The Kafka record a partner publishes: ``data`` in a CloudEvent, in ``mode`` (binary:
    ``ce_*`` headers and the FHIR JSON as the value; structured: the whole event as JSON),
    keyed by the partner's request identifier."""
    event = CloudEvent(
        attributes={
            "id": str(uuid4()),
            "source": f"/nhs/partners/{partner}",
            "type": EVENT_TYPE,
            "datacontenttype": "application/fhir+json" if mode == "binary" else "application/json",
            "localauthority": council,
            "partitionkey": request_id or f"SR-{uuid4().hex[:10]}",
        },
        data=data,
    )
    convert = to_binary if mode == "binary" else to_structured
    return convert(event, JSONFormat())


async def main() -> None:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    namespace = os.environ.get("SEND_NAMESPACE", "")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    answers = AIOKafkaConsumer(
        f"{namespace}{PartnerReferralAnswered.topic()}",
        bootstrap_servers=bootstrap,
        auto_offset_reset="latest",
        group_id=f"partner-example-{uuid4().hex[:8]}",
    )
    await answers.start()
    await producer.start()
    try:
        await asyncio.sleep(1)  # let the consumer take its partitions before we publish
        wanted = {}
        for mode, number in (("binary", "9990000018"), ("structured", "9990000026")):
            request_id = f"SR-{uuid4().hex[:10]}"
            record = partner_record(
                example_bundle(nhs_number=number), mode=mode, request_id=request_id
            )
            await producer.send_and_wait(
                f"{namespace}{PARTNER_INBOUND_TOPIC}",
                record.value,
                key=request_id.encode(),
                headers=list(record.headers.items()),
            )
            wanted[request_id] = mode
            print(f"published a referral in {mode} mode, request {request_id}")
        async with asyncio.timeout(30):
            async for message in answers:
                answer = json.loads(message.value)["data"]
                if answer["request_id"] in wanted:
                    print(f"\n{wanted.pop(answer['request_id'])} mode: {answer['outcome']}")
                    print(json.dumps(answer["resource"], indent=2))
                if not wanted:
                    return
    except TimeoutError:
        sys.exit("no answer within 30 s: is the platform running (make run)?")
    finally:
        await producer.stop()
        await answers.stop()


if __name__ == "__main__":
    asyncio.run(main())
