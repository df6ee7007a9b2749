"""NHS partners for real (#23), on real PostgreSQL: a Bundle with a logical ODS reference and
a SNOMED CT reason (or text only) is accepted and waits for triage; the caseworker reads the
referrer's words and sets the need (the API), and the referral goes on as any other."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from referrals.config import ReferralsSettings
from referrals.partner_example import example_bundle, snomed_reason, text_reason
from referrals.partners import PartnerIntake, Wiring
from referrals.retention import erase_past_retention

from scripts.platform import IdentityProvider, migrations_of
from shared import family_links
from shared.consumption import EventConsumption
from shared.dates import london_today
from shared.state import service_state
from tests.conftest import Databases
from tests.integration.referrals_app import (
    LEEDS,
    nhs_number,
    outbox_events,
    referrals_service,
    signed_in,
)
from tests.integration.test_partner_intake import SETTINGS, Consumer, DeadLetters, _answers, _rows

# The issue's own example concept (#23): test data for the council's table, not a clinical fact.
CONCEPT = "35919005"
TRIAGE_SETTINGS = {**SETTINGS, "snomed_sen2_suggestions": {CONCEPT: "ASD"}}


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("triage", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity, **TRIAGE_SETTINGS) as running:
        yield running


@pytest.fixture
def consumer(app: FastAPI) -> Consumer:
    intake = PartnerIntake(ReferralsSettings(**TRIAGE_SETTINGS))
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


def _bundle(**changes: Any) -> dict[str, Any]:
    marker = uuid4().hex[:8]
    return example_bundle(
        nhs_number=nhs_number(int(uuid4().int % 10**6)),
        given=f"Given{marker}",
        family=f"Family{marker}",
        **changes,
    )


REASONS: dict[str, list[dict[str, Any]]] = {
    "SNOMED CT": [snomed_reason(CONCEPT, "Pervasive developmental disorder")],
    "text only": [text_reason("Few words at four; finds other children hard to play with")],
}


@pytest.mark.parametrize("case", list(REASONS))
async def test_a_partner_referral_without_a_need_waits_for_triage_then_goes_on(
    case: str, consumer: Consumer, owner_url: str, app: FastAPI, identity: IdentityProvider
) -> None:
    request_id = f"SR-{uuid4().hex}"
    bundle = _bundle(need=None, requester="ods", reasons=REASONS[case])
    await consumer.intake.take(consumer.record(request_id, bundle), consumer.wiring)
    (answer,) = await _answers(owner_url, request_id)
    assert answer["outcome"] == "accepted"  # the partner's Task at once
    referral_id = answer["resource"]["identifier"][0]["value"]
    assert consumer.dead_letters.published == []

    topics = [topic for topic, _ in await outbox_events(owner_url, referral_id)]
    assert "referrals.referral-awaiting-triage.v1" in topics  # the family hears it came
    assert "referrals.family-contact-registered.v1" in topics
    assert "referrals.referral-received.v1" not in topics  # no plan without a need
    (kept,) = await _rows(
        owner_url, "SELECT * FROM referrer_reasons WHERE referral_id = $1::uuid", referral_id
    )
    assert kept["requester_ods"] == "RR8"
    assert kept["suggested_needs"] == (["ASD"] if case == "SNOMED CT" else [])

    token = family_links.mint(
        service_state(app).family_link_key,
        referral_id=UUID(referral_id),
        local_authority=LEEDS,
        valid_for=timedelta(days=90),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as family:
        view = (await family.get(f"/v1/family/{token}")).json()
    assert view["next"].startswith("A caseworker will read the request")  # not "drafting"

    async with await signed_in(app, identity, "leeds-caseworker") as caseworker:
        listed = await caseworker.get("/v1/referrals", params={"needs_triage": True, "limit": 200})
        assert listed.status_code == 200
        (item,) = [i for i in listed.json()["items"] if i["id"] == referral_id]
        assert item["needs_triage"] is True
        triage = (await caseworker.get(f"/v1/referrals/{referral_id}/triage")).json()
        assert triage["needs_triage"] is True
        assert triage["requester_ods"] == "RR8"
        given = REASONS[case][0]
        said = triage["reasons"][0]
        assert said.get("text") == given.get("text")
        assert said.get("code") == (given.get("coding") or [{}])[0].get("code")

        wrong = await caseworker.post(
            f"/v1/referrals/{referral_id}/need", json={"primary_need": "X"}
        )
        assert wrong.status_code == 422
        assert wrong.json()["detail"][0]["loc"] == ["body", "primary_need"]
        key = {"Idempotency-Key": str(uuid4())}
        body = {"primary_need": "ASD", "secondary_needs": ["SLCN"]}
        done = await caseworker.post(f"/v1/referrals/{referral_id}/need", json=body, headers=key)
        assert done.status_code == 200, done.text
        assert done.json()["needs_triage"] is False
        again = await caseworker.post(f"/v1/referrals/{referral_id}/need", json=body, headers=key)
        assert again.json() == done.json()  # a retry: the first answer, nothing new
        twice = await caseworker.post(f"/v1/referrals/{referral_id}/need", json=body)
        assert twice.status_code == 409
        view = (await caseworker.get(f"/v1/referrals/{referral_id}")).json()
        assert view["primary_need"] == "ASD"
        assert view["needs_triage"] is False

    events = await outbox_events(owner_url, referral_id)
    (triaged,) = [data for topic, data in events if topic == "referrals.referral-triaged.v1"]
    assert triaged["primary_need"] == "ASD"
    assert triaged["secondary_needs"] == ["SLCN"]
    audited = await _rows(
        owner_url,
        "SELECT actor, action, resource FROM audit_log WHERE referral_id = $1::uuid "
        "AND action = 'update' AND resource = 'referral'",
        referral_id,
    )
    assert len(audited) == 1
    assert audited[0]["actor"] != "partner:west-yorkshire-slt"  # the caseworker's decision


async def test_another_councils_caseworker_cannot_triage(
    consumer: Consumer, owner_url: str, app: FastAPI, identity: IdentityProvider
) -> None:
    request_id = f"SR-{uuid4().hex}"
    bundle = _bundle(need=None, reasons=REASONS["text only"])
    await consumer.intake.take(consumer.record(request_id, bundle), consumer.wiring)
    (answer,) = await _answers(owner_url, request_id)
    referral_id = answer["resource"]["identifier"][0]["value"]
    async with await signed_in(app, identity, "bradford-caseworker") as bradford:
        seen = await bradford.get(f"/v1/referrals/{referral_id}/triage")
        assert seen.status_code == 404
        refused = await bradford.post(
            f"/v1/referrals/{referral_id}/need", json={"primary_need": "ASD"}
        )
        assert refused.status_code == 404


async def test_retention_erases_the_referrers_words_with_the_childs_details(
    consumer: Consumer, owner_url: str, app: FastAPI
) -> None:
    request_id = f"SR-{uuid4().hex}"
    bundle = _bundle(need=None, reasons=REASONS["text only"])
    await consumer.intake.take(consumer.record(request_id, bundle), consumer.wiring)
    (answer,) = await _answers(owner_url, request_id)
    referral_id = answer["resource"]["identifier"][0]["value"]
    sql = "SELECT reasons::text AS reasons FROM referrer_reasons WHERE referral_id = $1::uuid"
    (before,) = await _rows(owner_url, sql, referral_id)
    assert "Few words" in before["reasons"]
    async with service_state(app).database.pool().acquire() as conn:  # the service's own role
        await erase_past_retention(
            service_state(app).work, conn, today=london_today(), years=125, by_council={LEEDS: 1}
        )
    (after,) = await _rows(owner_url, sql, referral_id)
    assert after["reasons"] == "[]"
