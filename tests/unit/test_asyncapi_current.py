import json

import pytest

from scripts.asyncapi import DOCS, document
from shared.services import SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_committed_asyncapi_document_matches_the_code(service: str) -> None:
    committed = (DOCS / f"{service}.json").read_text()
    assert committed == document(service), "stale AsyncAPI document: run `make asyncapi`"


def test_asyncapi_documents_the_event_payloads() -> None:
    spec = json.loads(document("plans"))
    schemas = spec["components"]["schemas"]
    assert "ReferralReceivedMessage" in schemas  # what plans consumes
    assert "PlanDraftedMessage" in schemas  # what plans publishes
    assert "required_specialism" in schemas["PlanDrafted"]["properties"]
