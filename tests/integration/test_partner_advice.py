"""Health advice both ways (#23), on real PostgreSQL: a caseworker asks for medical advice of a
council that takes it from an NHS partner (ADVICE_PARTNERS), and the partner is sent a FHIR Task
on its own topic; the partner's DocumentReference is received on the clock (its PDF in the
document store, its summary and document on AdviceReceived, for section K); only the partner
asked may answer, once; late advice is received late."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from referrals.config import ReferralsSettings
from referrals.partner_advice import ADVICE_EVENT_TYPE
from referrals.partner_example import example_advice
from referrals.partners import PartnerIntake, Wiring

from scripts.platform import IdentityProvider, migrations_of
from shared.consumption import EventConsumption
from shared.dates import london_today
from shared.state import service_state
from tests import documents
from tests.conftest import Databases
from tests.integration.referrals_app import (
    nhs_number,
    outbox_events,
    referral_body,
    referrals_service,
    signed_in,
)
from tests.integration.test_partner_intake import SETTINGS, Consumer, DeadLetters, _answers, _rows

PARTNER = "west-yorkshire-slt"
ADVICE_SETTINGS = {**SETTINGS, "advice_partners": {"E08000035": {"medical": PARTNER}}}
SUMMARY = {
    "needs": "Finds it hard to follow spoken instructions",
    "outcomes-sought": "Follows two-step instructions in class",
    "provision-recommended": "Small-group language sessions, 3 times a week",
}


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("advice", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity, **ADVICE_SETTINGS) as running:
        yield running


@pytest.fixture
def consumer(app: FastAPI) -> Consumer:
    intake = PartnerIntake(ReferralsSettings(**ADVICE_SETTINGS))
    registry = CollectorRegistry()
    dead_letters = DeadLetters()
    consumption = EventConsumption(
        service="referrals",
        namespace="",
        work=service_state(app).work,
        registry=registry,
        retry_backoff_s=0.01,
        outage_backoff_s=0.01,
    )
    wiring = Wiring(service_state(app).work, consumption, dead_letters.publish)
    return Consumer(intake, wiring, dead_letters, registry)


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


async def _medical_advice_asked(
    client: httpx.AsyncClient, asked_days_ago: int, number: str | None = None
) -> str:
    asked_on = london_today() - timedelta(days=asked_days_ago)
    number = number or nhs_number(int(uuid4().int % 10**6))
    created = await client.post(
        "/v1/referrals",
        json=referral_body(track="ehc", received_on=asked_on - timedelta(days=7), nhs_number=number)
        | {},
    )
    assert created.status_code == 201, created.text
    referral_id: str = created.json()["id"]
    for step, body in (
        ("assessment-decision", {"decision": "assess", "decided_on": str(asked_on)}),
        (
            "advice-requests",
            {"kinds": ["medical", "educational_psychology"], "requested_on": str(asked_on)},
        ),
    ):
        taken = await client.post(f"/v1/referrals/{referral_id}/{step}", json=body)
        assert taken.status_code == 200, taken.text
    return referral_id


async def _task(owner_url: str, referral_id: str) -> dict[str, Any]:
    events = await outbox_events(owner_url, referral_id)
    (sent,) = [(t, d) for t, d in events if t.startswith("nhs.advice.requested.")]
    topic, data = sent
    assert topic == f"nhs.advice.requested.{PARTNER}.v1"  # the partner's own topic
    assert data["kind"] == "medical"
    task: dict[str, Any] = data["resource"]
    return task


async def test_medical_advice_goes_to_the_partner_as_a_task_and_its_answer_reaches_section_k(
    consumer: Consumer, owner_url: str, caseworker: httpx.AsyncClient, today: date
) -> None:
    number = nhs_number(int(uuid4().int % 10**6))
    referral_id = await _medical_advice_asked(caseworker, asked_days_ago=10, number=number)
    task = await _task(owner_url, referral_id)
    assert task["resourceType"] == "Task"
    assert task["for"]["identifier"]["value"] == number
    due = today - timedelta(days=10) + timedelta(weeks=6)
    assert task["restriction"]["period"]["end"] == str(due)
    task_id = task["identifier"][0]["value"]

    request_id = f"ADV-{uuid4().hex}"
    answer = example_advice(task_id, documents.pdf(f"medical {referral_id}"), SUMMARY)
    record = consumer.record(request_id, answer, event_type=ADVICE_EVENT_TYPE)
    await consumer.intake.take(record, consumer.wiring)
    assert consumer.dead_letters.published == []
    (answered,) = await _answers(owner_url, request_id)
    assert answered["outcome"] == "accepted"
    assert answered["resource"]["status"] == "completed"
    document_id = answered["resource"]["output"][0]["valueReference"]["identifier"]["value"]

    events = await outbox_events(owner_url, referral_id)
    (received,) = [d for t, d in events if t == "referrals.advice-received.v1"]
    assert received["kind"] == "medical"
    assert received["on_time"] is True
    assert received["received_on"] == str(today)
    assert received["document_id"] == document_id
    assert received["summary"]["provision_recommended"] == SUMMARY["provision-recommended"]
    ehc = (await caseworker.get(f"/v1/referrals/{referral_id}")).json()["ehc"]
    assert {a["kind"]: a["received_on"] for a in ehc["advice"]}["medical"] == str(today)
    download = await caseworker.get(f"/v1/referrals/{referral_id}/documents/{document_id}")
    assert download.status_code == 200
    assert download.content == documents.pdf(f"medical {referral_id}")

    # Sent again (a new message): the advice is in already; answered so, nothing recorded.
    again = f"ADV-{uuid4().hex}"
    await consumer.intake.take(
        consumer.record(again, answer, event_type=ADVICE_EVENT_TYPE), consumer.wiring
    )
    (refused,) = await _answers(owner_url, again)
    assert refused["outcome"] == "rejected"
    assert refused["resource"]["issue"][0]["expression"] == ["DocumentReference.context.related"]
    stored = await _rows(
        owner_url,
        "SELECT count(*) AS n FROM documents WHERE referral_id = $1::uuid AND kind = 'advice'",
        referral_id,
    )
    assert stored[0]["n"] == 1


async def test_only_the_partner_asked_may_answer(
    consumer: Consumer, owner_url: str, caseworker: httpx.AsyncClient
) -> None:
    referral_id = await _medical_advice_asked(caseworker, asked_days_ago=3)
    task_id = (await _task(owner_url, referral_id))["identifier"][0]["value"]
    request_id = f"ADV-{uuid4().hex}"
    other = "leeds-community-paediatrics"
    record = consumer.record(
        request_id,
        example_advice(task_id, documents.pdf()),
        event_type=ADVICE_EVENT_TYPE,
        partner=other,
        topic="nhs.referrals.inbound.leeds-community-paediatrics.v1",
    )
    await consumer.intake.take(record, consumer.wiring)
    answers = await _answers(owner_url, request_id)
    assert [a["outcome"] for a in answers] == ["rejected"]
    assert answers[0]["partner"] == other
    ((value, key, headers),) = consumer.dead_letters.published  # kept as it came, with why
    assert (value, key) == (record.value, record.key)
    assert headers["dlq-reason"].startswith("DocumentReference.context.related")
    events = await outbox_events(owner_url, referral_id)
    assert "referrals.advice-received.v1" not in [t for t, _ in events]
    left = await _rows(owner_url, "SELECT count(*) AS n FROM document_contents")
    kept = await _rows(owner_url, "SELECT count(*) AS n FROM documents")
    assert left[0]["n"] == kept[0]["n"]  # the refused answer's bytes were not kept


async def test_late_advice_is_received_late(
    consumer: Consumer, owner_url: str, caseworker: httpx.AsyncClient
) -> None:
    referral_id = await _medical_advice_asked(caseworker, asked_days_ago=50)
    task_id = (await _task(owner_url, referral_id))["identifier"][0]["value"]
    request_id = f"ADV-{uuid4().hex}"
    record = consumer.record(
        request_id, example_advice(task_id, documents.pdf("late")), event_type=ADVICE_EVENT_TYPE
    )
    await consumer.intake.take(record, consumer.wiring)
    events = await outbox_events(owner_url, referral_id)
    (received,) = [d for t, d in events if t == "referrals.advice-received.v1"]
    assert received["on_time"] is False
    assert json.dumps(received["summary"]) == "null"
