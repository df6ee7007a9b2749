"""The AsyncAPI document describes what a partner publishes and gets back, and its examples are
messages the platform takes."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from referrals.config import ReferralsSettings
from referrals.partners import read

from scripts.asyncapi import DOCS

SPEC: dict[str, Any] = json.loads((DOCS / "referrals.json").read_text())
SETTINGS = ReferralsSettings(accept_test_nhs_numbers=True)


def _messages(address: str) -> list[dict[str, Any]]:
    (channel,) = [c for c in SPEC["channels"].values() if c["address"] == address]
    names = [unquote(m["$ref"].rsplit("/", 1)[-1]) for m in channel["messages"].values()]
    return [SPEC["components"]["messages"][name] for name in names]


def test_the_inbound_topic_has_a_message_for_each_content_mode_with_its_schema() -> None:
    by_name = {m["name"]: m for m in _messages("nhs.referrals.inbound.v1")}
    binary, structured, advice = (
        by_name[n]
        for n in ("PartnerReferralBinary", "PartnerReferralStructured", "PartnerAdviceBinary")
    )
    assert advice["payload"]["$ref"].endswith("/PartnerAdviceDocumentReference")
    assert binary["contentType"] == "application/fhir+json"
    assert binary["payload"]["$ref"].endswith("/PartnerReferralBundle")
    headers = SPEC["components"]["schemas"]["PartnerReferralHeaders"]
    assert {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_localauthority"} <= set(
        headers["required"]
    )
    assert structured["contentType"] == "application/cloudevents+json"
    bundle = SPEC["components"]["schemas"]["PartnerReferralBundle"]
    assert bundle["properties"]["type"] == {"const": "message"}
    kinds = {
        SPEC["components"]["schemas"][ref["$ref"].rsplit("/", 1)[-1]]["title"]
        for ref in bundle["properties"]["entry"]["items"]["properties"]["resource"]["oneOf"]
    }
    assert kinds >= {"MessageHeader", "ServiceRequest", "Patient", "RelatedPerson"}
    for message in (binary, structured):
        assert "request identifier" in message["bindings"]["kafka"]["key"]["description"]


def test_each_inbound_example_is_a_message_the_platform_takes() -> None:
    examples = [e for m in _messages("nhs.referrals.inbound.v1") for e in m["examples"]]
    names = [e["name"] for e in examples]
    assert sorted(names) == sorted(
        ["binary", "ods-snomed", "practitioner-role-text", "structured", "advice"]
    )
    for example in examples:
        headers = {k: v.encode() for k, v in example["headers"].items()}
        taken = read(headers, b"SR-1", json.dumps(example["payload"]).encode(), SETTINGS)
        assert taken.problems == [], example["name"]
        if example["name"] == "advice":
            assert taken.advice is not None
            assert taken.advice.summary is not None
        else:
            assert taken.body is not None
            triage = example["name"] in ("ods-snomed", "practitioner-role-text")
            assert (taken.body.primary_need is None) is triage


def test_the_advice_task_goes_on_each_partners_own_topic_with_an_example() -> None:
    (asked,) = _messages("nhs.advice.requested.{partner}.v1")
    (channel,) = [c for c in SPEC["channels"].values() if "advice.requested" in c["address"]]
    assert "only its Kafka user may read" in channel["parameters"]["partner"]["description"]
    task = asked["examples"][0]["payload"]["resource"]
    assert task["resourceType"] == "Task"
    assert task["status"] == "requested"


def test_the_outcome_shows_a_task_and_an_operation_outcome_keyed_by_the_request_id() -> None:
    (answer,) = _messages("nhs.referrals.outcome.{partner}.v1")
    resources = {e["name"]: e["payload"]["data"]["resource"] for e in answer["examples"]}
    assert resources["accepted"]["resourceType"] == "Task"
    assert resources["rejected"]["resourceType"] == "OperationOutcome"
    assert "request identifier" in answer["bindings"]["kafka"]["key"]["description"]
    schemas = SPEC["components"]["schemas"]
    subject = schemas["PartnerReferralAnsweredMessage"]["properties"]["subject"]["description"]
    assert "not the Kafka key" in subject
    referral_id = schemas["PartnerReferralAnswered"]["properties"]["referral_id"]["description"]
    assert "Not the Kafka key" in referral_id


def test_each_partner_has_its_own_outcome_topic_the_document_says_whose() -> None:
    (channel,) = [c for c in SPEC["channels"].values() if "outcome" in c["address"]]
    assert channel["address"] == "nhs.referrals.outcome.{partner}.v1"
    assert "only its Kafka user may read" in channel["parameters"]["partner"]["description"]
