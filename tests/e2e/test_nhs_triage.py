"""NHS partners for real (#23), end to end through Kafka: Bundles as NHS systems build them
(a logical ODS reference, a SNOMED CT reason or text only) are accepted and wait for triage;
after a caseworker sets the need, the plan, the specialist and the family alert follow, with
the partner's Task updates. Bundles unsafe for the child are rejected naming where."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import httpx
import pytest
from referrals.partner_checks import VERIFICATION_EXTENSION, VERIFICATION_SYSTEM
from referrals.partner_example import (
    example_bundle,
    partner_record,
    publish_examples,
    snomed_reason,
    text_reason,
)

from scripts.platform import Platform
from scripts.run_platform import demo_nhs_number
from shared.settings import KafkaSettings
from shared.topics import PARTNER_INBOUND_TOPIC, dead_letter_topic
from tests.e2e.conftest import JOURNEY, wait_for_timeline
from tests.e2e.test_nhs_partners import _answers, _publish, _records

REASONS: dict[str, list[dict[str, Any]]] = {
    # The issue's own example concept (#23): test data, not a clinical fact.
    "SNOMED CT": [snomed_reason("35919005", "Pervasive developmental disorder")],
    "text only": [text_reason("Few words at four; finds playing with other children hard")],
}


def _bundle(**changes: Any) -> dict[str, Any]:
    marker = uuid4().hex[:8]
    return example_bundle(
        nhs_number=demo_nhs_number(),
        given=f"Given{marker}",
        family=f"Family{marker}",
        email=f"parent.{marker}@example.org",
        **changes,
    )


async def _family_messages(
    platform: Platform, caseworker: dict[str, str], referral_id: str, template: str
) -> list[str]:
    """The referral's messages once ``template`` is among them (a wait for a condition)."""
    async with httpx.AsyncClient(
        base_url=platform.url("notifications"), timeout=10, headers=caseworker
    ) as notifications:
        async with asyncio.timeout(30):
            while True:
                log = await notifications.get(f"/v1/referrals/{referral_id}/notifications")
                templates = [a["template"] for a in log.json()]
                if template in templates:
                    return templates
                await asyncio.sleep(0.1)


@pytest.mark.parametrize("case", list(REASONS))
async def test_a_bundle_without_a_need_waits_for_triage_then_reaches_the_family_alert(
    case: str,
    kafka: KafkaSettings,
    platform: Platform,
    referrals_api: httpx.AsyncClient,
    caseworker: dict[str, str],
) -> None:
    request_id = f"SR-{uuid4().hex}"
    bundle = _bundle(need=None, requester="ods", reasons=REASONS[case])
    await _publish(kafka, (request_id, partner_record(bundle)))
    (answer,) = await _answers(kafka, request_id)
    assert answer["outcome"] == "accepted"  # the partner's Task at once
    referral_id = answer["resource"]["identifier"][0]["value"]

    # The family is told the request came; nothing is drafted while it waits for triage.
    await _family_messages(platform, caseworker, referral_id, "request-received-triage")
    waiting = (await referrals_api.get(f"/v1/referrals/{referral_id}")).json()
    assert waiting["needs_triage"] is True
    assert "plan_drafted" not in [e["step"] for e in waiting["timeline"]]
    listed = await referrals_api.get("/v1/referrals", params={"needs_triage": True, "limit": 200})
    assert referral_id in [i["id"] for i in listed.json()["items"]]
    triage = (await referrals_api.get(f"/v1/referrals/{referral_id}/triage")).json()
    assert triage["requester_ods"] == "RR8"
    assert len(triage["reasons"]) == 1

    done = await referrals_api.post(
        f"/v1/referrals/{referral_id}/need", json={"primary_need": "SLCN"}
    )
    assert done.status_code == 200, done.text
    answers = await _answers(kafka, request_id, 3, progress=True)
    assert [a["outcome"] for a in answers] == ["accepted", "progressed", "progressed"]
    assert [a["resource"]["businessStatus"]["coding"][0]["code"] for a in answers[1:]] == [
        "plan-drafted",
        "specialist-assigned",
    ]
    referral = await wait_for_timeline(referrals_api, referral_id, JOURNEY)
    assert referral["primary_need"] == "SLCN"
    templates = await _family_messages(platform, caseworker, referral_id, "specialist-assigned")
    assert "request-received" not in templates  # told once that it came, not again at triage


def _unverified() -> dict[str, Any]:
    bundle = _bundle()
    bundle["entry"][2]["resource"]["identifier"][0]["extension"] = [
        {
            "url": VERIFICATION_EXTENSION,
            "valueCodeableConcept": {"coding": [{"system": VERIFICATION_SYSTEM, "code": "03"}]},
        }
    ]
    return bundle


def _gender() -> dict[str, Any]:
    bundle = _bundle()
    bundle["entry"][2]["resource"]["gender"] = "F"
    return bundle


def _requester_elsewhere() -> dict[str, Any]:
    bundle = _bundle(need=None, reasons=REASONS["text only"])
    bundle["entry"][1]["resource"]["requester"] = {
        "identifier": {"system": "https://example.org/trusts", "value": "RR8"}
    }
    return bundle


UNSAFE: dict[str, tuple[Any, str]] = {
    "an NHS number not verified": (
        _unverified,
        "Bundle.entry[2].resource.identifier[0].extension[0].valueCodeableConcept",
    ),
    "a gender outside administrative-gender": (_gender, "Bundle.entry[2].resource.gender"),
    "a requester by another identifier than ODS": (
        _requester_elsewhere,
        "ServiceRequest.requester.identifier.system",
    ),
    "no reason at all": (lambda: _bundle(need=None), "ServiceRequest.reasonCode"),
}


@pytest.mark.parametrize("case", list(UNSAFE))
async def test_an_unsafe_bundle_is_rejected_naming_where_and_dead_lettered(
    case: str, kafka: KafkaSettings, platform: Platform
) -> None:
    make, location = UNSAFE[case]
    request_id = f"SR-{uuid4().hex}"
    record = partner_record(make())
    await _publish(kafka, (request_id, record))
    (answer,) = await _answers(kafka, request_id)
    assert answer["outcome"] == "rejected"
    assert [i["expression"][0] for i in answer["resource"]["issue"]] == [location]
    (dead,) = await _records(kafka, dead_letter_topic(PARTNER_INBOUND_TOPIC), request_id, 1)
    assert dead.value == record.value
    assert "Given" not in {k: v.decode() for k, v in dead.headers}["dlq-reason"]


async def test_the_partner_example_publishes_referrals_waiting_for_triage(
    kafka: KafkaSettings, referrals_api: httpx.AsyncClient
) -> None:
    answers = await publish_examples(kafka, triage=True)
    assert {mode: a["outcome"] for mode, a in answers.items()} == {
        "binary": "accepted",
        "structured": "accepted",
    }
    for answer in answers.values():
        referral_id = answer["resource"]["identifier"][0]["value"]
        await wait_for_timeline(referrals_api, referral_id, ("referral_received",))
        waiting = (await referrals_api.get(f"/v1/referrals/{referral_id}")).json()
        assert waiting["needs_triage"] is True
