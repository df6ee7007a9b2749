"""Health advice both ways through Kafka (#23): a caseworker asks for medical advice, the NHS
partner reads the FHIR Task on its own topic and answers with a DocumentReference (a PDF and a
summary) on its own inbound topic; the advice lands on the clock on time and in section K."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
from referrals.partner_advice import ADVICE_EVENT_TYPE
from referrals.partner_example import answer_advice_task, example_advice, partner_record

from scripts.platform import Platform
from shared.events import PartnerAdviceRequested
from shared.settings import KafkaSettings
from tests import documents
from tests.e2e.conftest import ADVICE_PARTNERS, PARTNER_TOPICS, wait_for_timeline
from tests.e2e.test_nhs_partners import _answers, _publish, _records
from tests.e2e.web.test_adviser_journey import _section_k
from tests.e2e.web.test_caseworker_journey import _day, _ehc_request

PARTNER = ADVICE_PARTNERS["E08000035"]["medical"]
SUMMARY = {
    "needs": "Speech and language delay; otherwise well",
    "outcomes-sought": "Joins in with two-way conversation with peers",
    "provision-recommended": "Speech and language therapy programme, reviewed termly",
}


async def test_medical_advice_goes_out_as_a_task_and_the_partners_pdf_lands_in_section_k(
    kafka: KafkaSettings,
    platform: Platform,
    referrals_api: httpx.AsyncClient,
    caseworker: dict[str, str],
) -> None:
    referral = await _ehc_request(referrals_api, received_days_ago=20)
    path = f"/v1/referrals/{referral['id']}"
    for step, body in (
        ("assessment-decision", {"decision": "assess", "decided_on": str(_day(15))}),
        ("advice-requests", {"kinds": ["medical"], "requested_on": str(_day(15))}),
    ):
        taken = await referrals_api.post(f"{path}/{step}", json=body)
        assert taken.status_code == 200, taken.text
    await wait_for_timeline(referrals_api, referral["id"], ("plan_drafted",))

    # The partner reads the Task on its own topic.
    (record,) = await _records(kafka, PartnerAdviceRequested.topic_of(PARTNER), referral["id"], 1)
    task = json.loads(record.value)["data"]["resource"]
    assert task["resourceType"] == "Task"
    assert task["for"]["display"] == (
        f"{referral['child']['given_name']} {referral['child']['family_name']}"
    )
    assert task["restriction"]["period"]["end"] == str(_day(15) + timedelta(weeks=6))

    # ...and answers on its own inbound topic.
    request_id = f"ADV-{referral['id']}"
    answer = example_advice(
        task["identifier"][0]["value"], documents.pdf(f"medical {referral['id']}"), SUMMARY
    )
    await _publish(
        kafka,
        (request_id, partner_record(answer, partner=PARTNER, event_type=ADVICE_EVENT_TYPE)),
        topic=PARTNER_TOPICS[PARTNER],
    )
    (answered,) = await _answers(kafka, request_id, partner=PARTNER)
    assert answered["outcome"] == "accepted"
    assert answered["resource"]["status"] == "completed"

    ehc = (await referrals_api.get(path)).json()["ehc"]
    assert {a["kind"]: a["received_on"] for a in ehc["advice"]}["medical"] == str(_day(0))
    assert {d["kind"]: d["state"] for d in ehc["deadlines"]}["advice:medical"] == "met"
    async with httpx.AsyncClient(
        base_url=platform.url("plans"), timeout=10, headers=caseworker
    ) as plans:
        [listed] = await _section_k(plans, referral["id"])
    assert listed["kind"] == "medical"
    assert listed["provision_recommended"] == SUMMARY["provision-recommended"]


async def test_the_partner_example_answers_an_advice_task(
    kafka: KafkaSettings, referrals_api: httpx.AsyncClient
) -> None:
    ready = asyncio.Event()
    answering = asyncio.create_task(answer_advice_task(kafka, PARTNER, 60, ready))
    referral = await _ehc_request(referrals_api, received_days_ago=10)
    path = f"/v1/referrals/{referral['id']}"
    await ready.wait()  # the example reads the partner's topic from here on
    for step, body in (
        ("assessment-decision", {"decision": "assess", "decided_on": str(_day(5))}),
        ("advice-requests", {"kinds": ["medical"], "requested_on": str(_day(5))}),
    ):
        taken = await referrals_api.post(f"{path}/{step}", json=body)
        assert taken.status_code == 200, taken.text
    answer = await answering
    assert answer["outcome"] == "accepted"
    ehc = (await referrals_api.get(path)).json()["ehc"]
    assert {a["kind"]: a["received_on"] for a in ehc["advice"]}["medical"] == str(_day(0))
