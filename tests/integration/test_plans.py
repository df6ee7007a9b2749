"""Plans against real Kafka and PostgreSQL: the catalogue imported by the migrations, and a
referral's events drafting a checked plan that announces the roles its provision needs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from plans.app import create_app
from plans.catalogue_store import CatalogueChanged, import_catalogues, shipped
from plans.handlers import subscriptions as plan_subscriptions
from plans.standards import CatalogueVersion

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider, migrations_of, service_url
from shared.events import (
    DomainEvent,
    PlanDrafted,
    ReferralDescribed,
    ReferralReceived,
    Sen2Need,
    wrap,
)
from shared.migrations import owner_connection
from shared.settings import KafkaSettings
from shared.topics import dead_letter_topic, ensure_topics
from tests import namespaces
from tests.conftest import Databases, Infrastructure
from tests.integration.conftest import read_topic, wait_for

LEEDS, BRADFORD = "E08000035", "E08000032"


@pytest.fixture(scope="module")
async def plans_url(databases: Databases) -> str:
    return await databases.fresh("plans", "plans", migrations_of("plans"))


@pytest.fixture
async def owner(plans_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await owner_connection(plans_url)
    yield conn
    await conn.close()


def _referral(referral_id: UUID, council: str, need: Sen2Need, **more: Any) -> ReferralReceived:
    return ReferralReceived(
        referral_id=referral_id,
        local_authority=council,
        received_on=date(2026, 11, 2),
        primary_need=need,
        requested_by="school",
        postcode_district="LS6",
        decision_due=date(2026, 12, 14),
        final_plan_due=date(2027, 3, 22),
        phase="primary",
        **more,
    )


async def test_the_migrations_import_each_shipped_catalogue_version_once(
    owner: asyncpg.Connection,
) -> None:
    stored = await owner.fetch(
        """SELECT v.layer || '-' || v.version AS name, count(s.*) AS standards
           FROM catalogue_versions v JOIN catalogue_standards s USING (layer, version)
           GROUP BY 1 ORDER BY 1"""
    )
    files = sorted((v.name, len(v.standards)) for v, _ in shipped())
    assert [(r["name"], r["standards"]) for r in stored] == files
    async with owner.transaction():
        assert await import_catalogues(owner) == []  # idempotent: runs on every migration


async def test_a_released_version_edited_in_place_is_refused(owner: asyncpg.Connection) -> None:
    tx = owner.transaction()
    await tx.start()
    try:
        await owner.execute("UPDATE catalogue_versions SET checksum = 'x' WHERE layer = 'national'")
        with pytest.raises(CatalogueChanged, match="never edited"):
            await import_catalogues(owner)
    finally:
        await tx.rollback()


async def _publish(bootstrap: str, namespace: str, events: list[DomainEvent]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for event in events:
            council = getattr(event, "local_authority", LEEDS)
            envelope = wrap(event, source="/tests", local_authority=council)
            await producer.send_and_wait(
                f"{namespace}{event.topic()}",
                envelope.model_dump_json().encode(),
                key=event.key().encode(),
            )
    finally:
        await producer.stop()


async def _add_layer(owner: asyncpg.Connection, layer: CatalogueVersion) -> None:
    """A council layer that leaves vision impairment without a standard in primary school."""
    await owner.execute(
        "INSERT INTO catalogue_versions (layer, version, checksum, body) VALUES ($1, $2, 't', $3)",
        layer.layer,
        layer.version,
        layer.model_dump_json(),
    )
    for s in layer.standards:
        await owner.execute(
            """INSERT INTO catalogue_standards (layer, version, standard_id, needs, phases, body)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            layer.layer, layer.version, s.id, list(s.needs), list(s.phases), s.model_dump_json(),
        )  # fmt: skip


async def test_referral_events_draft_a_checked_plan_announcing_its_roles(
    infrastructure: Infrastructure,
    identity: IdentityProvider,
    plans_url: str,
    owner: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bootstrap = infrastructure.kafka_bootstrap_servers
    namespace = namespaces.namespace("plans")
    # Every topic plans reads (it starts only when all exist), and the one it writes.
    topics = [s.event_class.topic() for s in plan_subscriptions] + [PlanDrafted.topic()]
    await ensure_topics(
        KafkaSettings(kafka_bootstrap_servers=bootstrap, SEND_NAMESPACE=namespace),
        topics + [dead_letter_topic(t) for t in topics],
    )
    for name, value in {
        **identity.service_env(),
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "SEND_NAMESPACE": namespace,
        "PLANS_DATABASE_URL": service_url(plans_url),
    }.items():
        monkeypatch.setenv(name, value)
    national = next(v for v, _ in shipped() if v.layer == "national")
    vi = [
        s.model_copy(update={"phases": ["post_16"]})
        for s in national.standards
        if s.needs[0] == "VI"
    ]
    await _add_layer(
        owner,
        CatalogueVersion(layer=BRADFORD, version="2026.1", released_on="2026-11-29", standards=vi),
    )

    described_id, plain_id, broken_id = uuid4(), uuid4(), uuid4()
    described = _referral(
        described_id, LEEDS, Sen2Need.ASD, secondary_needs=[Sen2Need.SEMH], track="ehc",
        described=True,
    )  # fmt: skip
    words = ReferralDescribed(
        referral_id=described_id, strengths="Loves trains.", difficulties="Hates noise.",
        views="To have a friend.",
    )  # fmt: skip
    app = create_app()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        # The words come first, the referral second; then the words again (a late copy).
        await _publish(bootstrap, namespace, [
            words,
            described,
            _referral(plain_id, LEEDS, Sen2Need.SLCN),
            _referral(broken_id, BRADFORD, Sen2Need.VI),
            words,
        ])  # fmt: skip
        records = await read_topic(bootstrap, f"{namespace}{PlanDrafted.topic()}", count=2)
        drafted = {r.key.decode(): json.loads(r.value)["data"] for r in records}
        assert set(drafted) == {str(described_id), str(plain_id)}
        asd = drafted[str(described_id)]
        assert asd["provision_roles"] == ["autism_outreach", "occupational_therapy", "semh_support"]
        assert asd["required_specialism"] == "autism_outreach"
        assert asd["statutory_due"] == "2027-03-22"
        # On the EHC track too, intake drafts the support plan.
        assert asd["sections"] == ["A", "B", "E", "F", "G"]
        assert drafted[str(plain_id)]["provision_roles"] == ["speech_and_language_therapy"]

        leeds = {
            "Authorization": f"Bearer {await fetch_token(identity.issuer, 'leeds-caseworker')}"
        }
        plan = (await client.get(f"/v1/referrals/{described_id}/plan", headers=leeds)).json()
        assert plan["status"] == "draft"
        assert all(c["passed"] for c in plan["checks"])
        assert plan["catalogue_versions"] == ["national-2026.2", "E08000035-2026.2"]
        assert plan["sections"]["A"] == "To have a friend."
        assert plan["sections"]["B"][0]["in_the_referrers_words"] == (
            "Strengths: Loves trains.\nDifficulties: Hates noise."
        )
        assert await owner.fetchval("SELECT count(*) FROM plan_inputs") == 0  # words moved in

        bradford = {
            "Authorization": f"Bearer {await fetch_token(identity.issuer, 'bradford-caseworker')}"
        }

        async def kept() -> bool:
            got = await client.get(f"/v1/referrals/{broken_id}/plan", headers=bradford)
            return got.status_code == 200

        await wait_for(kept, what="the plan that failed its checks, kept")
        broken = (await client.get(f"/v1/referrals/{broken_id}/plan", headers=bradford)).json()
        assert broken["status"] == "needs_attention"
        assert {c["name"] for c in broken["checks"] if not c["passed"]} == {
            "every_need_has_an_outcome",
            "every_need_has_provision",
        }
        announced = await owner.fetchval(
            "SELECT count(*) FROM outbox WHERE key = $1", str(broken_id)
        )
        assert announced == 0

        standards = await client.get(
            "/v1/standards", params={"local_authority": LEEDS}, headers=leeds
        )
        assert standards.status_code == 200
        body = standards.json()
        assert body["catalogue_versions"] == ["national-2026.2", "E08000035-2026.2"]
        assert "SEMH-NURT-01" in {s["id"] for s in body["standards"]}
        assert body["version_of"]["SLCN-EXPR-01"] == "E08000035-2026.2"
        assert body["version_of"]["SLCN-UND-01"] == "national-2026.2"
        coverage = await client.get(
            "/v1/standards/coverage", params={"local_authority": LEEDS}, headers=leeds
        )
        assert {n["code"] for n in coverage.json()["needs"]} == set(Sen2Need)
        other = await client.get(
            "/v1/standards", params={"local_authority": BRADFORD}, headers=leeds
        )
        assert other.status_code == 403
        assert (
            await client.get(
                "/v1/standards", params={"local_authority": "E07000001"}, headers=leeds
            )
        ).status_code == 422
