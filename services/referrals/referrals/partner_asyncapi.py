"""What the AsyncAPI document says of the NHS partners' topics beyond what FastStream can infer.

The partners' consumer reads raw bytes (the CloudEvents SDK reads them, in either content
mode), so FastStream would document its message as a binary string. ``described`` replaces it
with the two messages a partner may publish, each with its schema and an example: binary mode
(``ce_*`` headers, the FHIR Bundle as the value) and structured mode (the whole CloudEvent as
JSON); and gives the answers on each partner's ``nhs.referrals.outcome.{partner}.v1`` their
Kafka key, an example of each outcome and the ``partner`` parameter. Pure: the examples are
fixed, so the committed document never goes stale.

(Longer than most modules: mostly the schemas and examples themselves, data written as
code so the document is checked by the type checker and stays in step with the reader.)
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import unquote
from uuid import UUID

from referrals.fhir_bundle import (
    MAPPING,
    NHS_NUMBER_SYSTEM,
    ODS_SYSTEM,
    SEN2_SYSTEM,
    TRACK_SYSTEM,
    rejected,
    task,
)
from referrals.health_advice import advice_task
from referrals.partner_advice import ADVICE_EVENT_TYPE, SUMMARY_EXTENSION
from referrals.partner_example import (
    EVENT_TYPE,
    example_advice,
    example_bundle,
    snomed_reason,
    text_reason,
)
from referrals.referrer_reasons import SNOMED_SYSTEM
from shared.events import CLOUDEVENTS_CONTENT_TYPE, PartnerAdviceRequested, PartnerReferralAnswered

FHIR_JSON = "application/fhir+json"
SENT_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
EXAMPLE_BUNDLE = example_bundle(at=SENT_AT, born=date(2020, 5, 1))
TRIAGE_BUNDLES = {
    "ods-snomed": example_bundle(
        at=SENT_AT,
        born=date(2020, 5, 1),
        need=None,
        requester="ods",
        # The example concept (#23): an example, not a clinical fact.
        reasons=[snomed_reason("35919005", "Pervasive developmental disorder")],
    ),
    "practitioner-role-text": example_bundle(
        at=SENT_AT,
        born=date(2020, 5, 1),
        need=None,
        requester="practitioner-role",
        reasons=[text_reason("Few words at four; finds playing with other children hard")],
    ),
}
EXAMPLE_TASK_ID = UUID("5b7f3c9e-2a41-5d8e-9f7b-3c1a2e4d6f80")
EXAMPLE_ADVICE = example_advice(
    str(EXAMPLE_TASK_ID),
    b"%PDF-1.7 ...",
    {"needs": "...", "outcomes-sought": "...", "provision-recommended": "..."},
)
EXAMPLE_REQUEST = "RBA-SR-000123"
EXAMPLE_REFERRAL = UUID("6f1c1b52-8d1e-4a55-9c39-0c6a7f4f0b11")
KEY = {
    "type": "string",
    "description": "The partner's request identifier (the ServiceRequest's, as the partner "
    "names it): the answer is keyed by it too",
    "examples": [EXAMPLE_REQUEST],
}

CE_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "specversion": {"const": "1.0"},
    "id": {"type": "string", "description": "Unique per event (the partner's)"},
    "source": {
        "type": "string",
        "description": "/nhs/partners/<client id>: on the shared topic it says which partner "
        "sent the event (one of PARTNER_COUNCILS); on a partner's own topic it must name that "
        "partner",
        "examples": ["/nhs/partners/west-yorkshire-slt"],
    },
    "type": {"const": EVENT_TYPE},
    "time": {"type": "string", "format": "date-time"},
    "localauthority": {
        "type": "string",
        "description": "ONS code of the council the referral is for (extension attribute; "
        "not derived from the postcode): one this partner may refer to",
        "examples": ["E08000035"],
    },
    "partitionkey": {
        "type": "string",
        "description": "Optional (CloudEvents partitioning extension): the request identifier",
    },
}
REQUIRED_ATTRIBUTES = ["specversion", "id", "source", "type", "localauthority"]


def _outline(kind: str, description: str, properties: dict[str, Any], required: list[str]) -> Any:
    return {
        "type": "object",
        "title": kind,
        "description": description,
        "required": ["resourceType", *required],
        "properties": {"resourceType": {"const": kind}, **properties},
        "additionalProperties": True,
    }


def _coding(system: str, what: str) -> dict[str, Any]:
    return {
        "type": "array",
        "description": f"{what}: a coding with system {system}",
        "items": {"type": "object", "properties": {"coding": {"type": "array"}}},
    }


REFERENCE = {"type": "object", "properties": {"reference": {"type": "string"}}}

SCHEMAS: dict[str, Any] = {
    "PartnerMessageHeader": _outline(
        "MessageHeader",
        "The message's header: its focus is the ServiceRequest",
        {"focus": {"type": "array", "minItems": 1, "items": REFERENCE}},
        ["focus"],
    ),
    "PartnerServiceRequest": _outline(
        "ServiceRequest",
        "The referral: status active, intent order",
        {
            "status": {"const": "active"},
            "intent": {"const": "order"},
            "reasonCode": {
                "type": "array",
                "description": "The reasons as the referrer gives them, kept as their words: "
                f"SNOMED CT codings ({SNOMED_SYSTEM}), other codings, text. Only a coding "
                f"with system {SEN2_SYSTEM} is taken as the SEN2 primary need; without one "
                "the referral waits for a caseworker's triage",
                "items": {"type": "object"},
            },
            "reasonReference": {
                "type": "array",
                "description": "Conditions in the bundle whose code is a reason too",
                "items": REFERENCE,
            },
            "category": _coding(TRACK_SYSTEM, "the track, support (default) or ehc"),
            "authoredOn": {"type": "string", "description": MAPPING["received_on"]},
            "subject": {**REFERENCE, "description": "The Patient (in the bundle)"},
            "requester": {
                "type": "object",
                "description": "An Organization or PractitionerRole in the bundle (reference), "
                f"or a logical reference by ODS code (identifier, system {ODS_SYSTEM})",
            },
        },
        ["status", "intent", "subject", "requester"],
    ),
    "PartnerPatient": _outline(
        "Patient",
        "The child: NHS number, name, birth date, postcode (UK Core)",
        {
            "identifier": {
                "type": "array",
                "description": f"The NHS number, system {NHS_NUMBER_SYSTEM}",
                "items": {"type": "object"},
            },
            "name": {"type": "array", "items": {"type": "object"}},
            "birthDate": {"type": "string", "format": "date"},
            "address": {"type": "array", "description": "postalCode: the child's postcode"},
            "contact": {"type": "array", "description": "The family, when no RelatedPerson"},
        },
        ["name", "birthDate", "address"],
    ),
    "PartnerRelatedPerson": _outline(
        "RelatedPerson",
        "The family's contact: name, email and/or phone, postal address for letters (to "
        "notifications only)",
        {
            "name": {"type": "array"},
            "telecom": {"type": "array"},
            "address": {
                "type": "array",
                "description": "The first: line, city, district (the letter's lines) and "
                "postalCode",
            },
        },
        [],
    ),
    "PartnerOrganization": _outline(
        "Organization",
        "The requester: an NHS organisation with its ODS code",
        {
            "identifier": {
                "type": "array",
                "description": f"The ODS code, system {ODS_SYSTEM}",
                "items": {"type": "object"},
            }
        },
        ["identifier"],
    ),
    "PartnerPractitionerRole": _outline(
        "PractitionerRole",
        "The requester as a role: its organization an Organization in the bundle or a logical "
        "reference by ODS code",
        {"organization": {"type": "object"}},
        ["organization"],
    ),
    "PartnerCondition": _outline(
        "Condition",
        "A reason the ServiceRequest's reasonReference points to: its code (SNOMED CT, other "
        "codings, text), kept as the referrer's words",
        {"code": {"type": "object"}},
        ["code"],
    ),
}
SCHEMAS["PartnerReferralBundle"] = {
    "type": "object",
    "title": "PartnerReferralBundle",
    "description": "A FHIR R4 (UK Core) Bundle of type message: a MessageHeader whose focus is "
    "a ServiceRequest, its subject Patient, its requester Organization, and the family as a "
    "RelatedPerson (or the Patient's contact). Parsed and validated with fhir.resources' R4B "
    "models; docs/nhs-partners.md maps each FHIR path to a referral field",
    "required": ["resourceType", "type", "entry"],
    "properties": {
        "resourceType": {"const": "Bundle"},
        "type": {"const": "message"},
        "timestamp": {"type": "string", "format": "date-time"},
        "entry": {
            "type": "array",
            "minItems": 3,
            "items": {
                "type": "object",
                "required": ["resource"],
                "properties": {
                    "fullUrl": {"type": "string", "examples": ["urn:uuid:..."]},
                    "resource": {
                        "oneOf": [
                            {"$ref": f"#/components/schemas/{name}"}
                            for name in SCHEMAS
                            if name != "PartnerReferralBundle"
                        ]
                    },
                },
            },
        },
    },
}
SCHEMAS["PartnerReferralHeaders"] = {
    "type": "object",
    "title": "PartnerReferralHeaders",
    "description": "Binary content mode (the CloudEvents Kafka binding): each CloudEvent "
    "attribute in a ce_<name> header, UTF-8; content-type says what the value is",
    "required": ["content-type", *(f"ce_{a}" for a in REQUIRED_ATTRIBUTES)],
    "properties": {
        "content-type": {"const": FHIR_JSON},
        **{f"ce_{name}": schema for name, schema in CE_ATTRIBUTES.items()},
    },
}
SCHEMAS["PartnerReferralCloudEvent"] = {
    "type": "object",
    "title": "PartnerReferralCloudEvent",
    "description": "Structured content mode: the whole CloudEvent as JSON (content-type "
    f"header {CLOUDEVENTS_CONTENT_TYPE}), the Bundle in data",
    "required": [*REQUIRED_ATTRIBUTES, "data"],
    "properties": {
        **CE_ATTRIBUTES,
        "datacontenttype": {"enum": ["application/json", FHIR_JSON]},
        "data": {"$ref": "#/components/schemas/PartnerReferralBundle"},
    },
}

SCHEMAS["PartnerAdviceDocumentReference"] = _outline(
    "DocumentReference",
    "A partner's advice, answering the Task of nhs.advice.requested.{partner}.v1: status "
    "current; context.related names the Task's identifier; content[0].attachment the advice "
    "as a PDF (contentType application/pdf, data base64, 20 MB at most); optionally the "
    f"adviser's summary for section K as the extension {SUMMARY_EXTENSION} (sub-extensions "
    "needs, outcomes-sought, provision-recommended, each a valueString)",
    {
        "status": {"const": "current"},
        "context": {"type": "object"},
        "content": {"type": "array", "minItems": 1},
        "extension": {"type": "array"},
    },
    ["status", "context", "content"],
)
SCHEMAS["PartnerAdviceHeaders"] = {
    "type": "object",
    "title": "PartnerAdviceHeaders",
    "description": "Binary content mode, as a referral's, with the advice's type",
    "required": ["content-type", *(f"ce_{a}" for a in REQUIRED_ATTRIBUTES)],
    "properties": {
        "content-type": {"const": FHIR_JSON},
        **{f"ce_{name}": schema for name, schema in CE_ATTRIBUTES.items()},
        "ce_type": {"const": ADVICE_EVENT_TYPE},
    },
}

_ATTRIBUTES_EXAMPLE = {
    "specversion": "1.0",
    "id": "0b7f4a52-3c1e-4c0e-9a51-51f1f0a0c001",
    "source": "/nhs/partners/west-yorkshire-slt",
    "type": EVENT_TYPE,
    "time": SENT_AT.isoformat(),
    "localauthority": "E08000035",
}
MESSAGES: dict[str, Any] = {
    "PartnerReferralBinary": {
        "name": "PartnerReferralBinary",
        "title": "A partner's referral, binary mode",
        "contentType": FHIR_JSON,
        "headers": {"$ref": "#/components/schemas/PartnerReferralHeaders"},
        "payload": {"$ref": "#/components/schemas/PartnerReferralBundle"},
        "bindings": {"kafka": {"bindingVersion": "0.4.0", "key": KEY}},
        "examples": [
            {
                "name": "binary",
                "headers": {
                    "content-type": FHIR_JSON,
                    **{f"ce_{k}": v for k, v in _ATTRIBUTES_EXAMPLE.items()},
                },
                "payload": EXAMPLE_BUNDLE,
            },
            *(
                {
                    "name": name,
                    "summary": "No SEN2 need: accepted, it waits for a caseworker's triage",
                    "headers": {
                        "content-type": FHIR_JSON,
                        **{f"ce_{k}": v for k, v in _ATTRIBUTES_EXAMPLE.items()},
                    },
                    "payload": bundle,
                }
                for name, bundle in TRIAGE_BUNDLES.items()
            ),
        ],
    },
    "PartnerReferralStructured": {
        "name": "PartnerReferralStructured",
        "title": "A partner's referral, structured mode",
        "contentType": CLOUDEVENTS_CONTENT_TYPE,
        "payload": {"$ref": "#/components/schemas/PartnerReferralCloudEvent"},
        "bindings": {"kafka": {"bindingVersion": "0.4.0", "key": KEY}},
        "examples": [
            {
                "name": "structured",
                "headers": {"content-type": CLOUDEVENTS_CONTENT_TYPE},
                "payload": {
                    **_ATTRIBUTES_EXAMPLE,
                    "datacontenttype": "application/json",
                    "data": EXAMPLE_BUNDLE,
                },
            }
        ],
    },
}


MESSAGES["PartnerAdviceBinary"] = {
    "name": "PartnerAdviceBinary",
    "title": "A partner's advice, answering an advice Task (binary mode; structured as a "
    "referral's, the DocumentReference in data)",
    "contentType": FHIR_JSON,
    "headers": {"$ref": "#/components/schemas/PartnerAdviceHeaders"},
    "payload": {"$ref": "#/components/schemas/PartnerAdviceDocumentReference"},
    "bindings": {"kafka": {"bindingVersion": "0.4.0", "key": KEY}},
    "examples": [
        {
            "name": "advice",
            "headers": {
                "content-type": FHIR_JSON,
                **{f"ce_{k}": v for k, v in _ATTRIBUTES_EXAMPLE.items()},
                "ce_type": ADVICE_EVENT_TYPE,
            },
            "payload": EXAMPLE_ADVICE,
        }
    ],
}
ADVICE_TASK_EXAMPLE = advice_task(
    EXAMPLE_TASK_ID,
    EXAMPLE_REFERRAL,
    "medical",
    council="E08000035",
    requested_on=date(2026, 3, 16),
    due_on=date(2026, 4, 27),
    child={
        "given_name": "Siân",
        "family_name": "Nguyễn",
        "nhs_number": "9990000018",
        "date_of_birth": date(2020, 5, 1),
    },
)


def _answer_example(outcome: str, resource: dict[str, Any]) -> dict[str, Any]:
    answer = PartnerReferralAnswered(
        referral_id=EXAMPLE_REFERRAL,
        partner="west-yorkshire-slt",
        request_id=EXAMPLE_REQUEST,
        outcome=outcome,
        resource=resource,
    )
    return {
        "specversion": "1.0",
        "id": "5d0c2c55-7a43-4c1b-8f7e-2f0e3b1d9a10",
        "type": PartnerReferralAnswered.event_type(),
        "source": "/send-platform/referrals",
        "time": SENT_AT.isoformat(),
        "subject": str(EXAMPLE_REFERRAL),
        "datacontenttype": "application/json",
        "localauthority": "E08000035",
        "schemaversion": PartnerReferralAnswered.version,
        "data": answer.model_dump(mode="json"),
    }


LINK = f"https://referrals.example.gov.uk/v1/referrals/{EXAMPLE_REFERRAL}"
ANSWER_EXAMPLES = [
    {
        "name": "accepted",
        "summary": "A Task: our referral id, the partner's request id, the caseworker's link",
        "payload": _answer_example("accepted", task(EXAMPLE_REFERRAL, EXAMPLE_REQUEST, LINK)),
    },
    {
        "name": "rejected",
        "summary": "An OperationOutcome: each problem's FHIRPath and why, never a value",
        "payload": _answer_example(
            "rejected",
            rejected([(MAPPING["child.nhs_number"], "not a valid NHS number (check digit)")]),
        ),
    },
    {
        "name": "progressed",
        "summary": "A later milestone: the same Task, in-progress, its businessStatus coded",
        "payload": _answer_example(
            "progressed", task(EXAMPLE_REFERRAL, EXAMPLE_REQUEST, LINK, "plan-drafted")
        ),
    },
]


PARTNER_PARAMETER = {
    "description": "The partner's client id (a key of PARTNER_COUNCILS): each partner has an "
    "outcome topic of its own, which only its Kafka user may read, so no partner sees "
    "another's answers",
    "examples": ["west-yorkshire-slt"],
}


def described(spec: dict[str, Any], inbound_topic: str, outcome_topic: str) -> dict[str, Any]:
    """``spec`` (the service's generated document) with the partners' messages described;
    ``outcome_topic`` is the partners' outcome topics' pattern (``{partner}`` in place)."""
    spec = copy.deepcopy(spec)
    components = spec.setdefault("components", {})
    components.setdefault("schemas", {}).update(copy.deepcopy(SCHEMAS))
    messages = components.setdefault("messages", {})
    messages.update(copy.deepcopy(MESSAGES))
    refs = {name: {"$ref": f"#/components/messages/{name}"} for name in MESSAGES}
    for cid, channel in spec.get("channels", {}).items():
        if channel.get("address") == inbound_topic:
            for old in channel.get("messages", {}).values():
                generated = messages.pop(old["$ref"].rsplit("/", 1)[-1], None) or {}
                payload = generated.get("payload", {}).get("$ref", "")
                components["schemas"].pop(payload.rsplit("/", 1)[-1], None)
            channel["messages"] = refs
            for operation in spec.get("operations", {}).values():
                if operation["channel"]["$ref"] == f"#/channels/{cid}":
                    operation["messages"] = [
                        {"$ref": f"#/channels/{cid}/messages/{name}"} for name in MESSAGES
                    ]
        elif channel.get("address") == PartnerAdviceRequested.topic():
            channel["parameters"] = {"partner": PARTNER_PARAMETER}
            for ref in channel.get("messages", {}).values():
                message = messages[unquote(ref["$ref"].rsplit("/", 1)[-1])]
                message["examples"] = [
                    {"name": "medical", "payload": {"resource": ADVICE_TASK_EXAMPLE}}
                ]
        elif channel.get("address") == outcome_topic:
            channel["parameters"] = {"partner": PARTNER_PARAMETER}
            for ref in channel.get("messages", {}).values():
                message = messages[unquote(ref["$ref"].rsplit("/", 1)[-1])]
                message["bindings"] = {"kafka": {"bindingVersion": "0.4.0", "key": KEY}}
                message["examples"] = copy.deepcopy(ANSWER_EXAMPLES)
    envelope = components["schemas"].get("PartnerReferralAnsweredMessage")
    if envelope is not None:
        envelope["properties"]["subject"]["description"] = (
            "Our referral id (data.referral_id); not the Kafka key, which is the partner's "
            "request identifier (data.request_id)"
        )
    return spec
