import json

import pytest

from scripts.asyncapi import DOCS, document
from shared.services import EVENT_SERVICES


@pytest.mark.parametrize("service", EVENT_SERVICES)
def test_committed_asyncapi_document_matches_the_code(service: str) -> None:
    committed = (DOCS / f"{service}.json").read_text()
    assert committed == document(service), "stale AsyncAPI document: run `make asyncapi`"


def test_asyncapi_documents_the_event_payloads() -> None:
    spec = json.loads(document("plans"))
    schemas = spec["components"]["schemas"]
    assert "ReferralReceivedMessage" in schemas  # what plans consumes
    assert "PlanDraftedMessage" in schemas  # what plans publishes
    assert "required_specialism" in schemas["PlanDrafted"]["properties"]


def test_asyncapi_shows_dead_letter_topics_and_the_cloudevents_content_type() -> None:
    spec = json.loads(document("plans"))
    addresses = {channel["address"] for channel in spec["channels"].values()}
    assert "referrals.referral-received.v1.dlq" in addresses
    assert spec["defaultContentType"] == "application/cloudevents+json"
    contents = {m["contentType"] for m in spec["components"]["messages"].values()}
    assert contents == {"application/cloudevents+json"}
