"""A service whose database is unreachable stays up, says it is not ready and answers 503."""

from __future__ import annotations

import httpx
import pytest
from referrals.app import create_app

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider, migrations_of
from scripts.run_platform import sample_referral
from shared.state import service_state
from tests.conftest import Databases, Infrastructure
from tests.events import referral_request
from tests.integration.referrals_app import referrals_service, signed_in


async def test_without_its_database_a_service_answers_503_not_a_traceback(
    infrastructure: Infrastructure, identity: IdentityProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", infrastructure.kafka_bootstrap_servers)
    for name, value in identity.service_env().items():
        monkeypatch.setenv(name, value)
    token = await fetch_token(identity.issuer, "leeds-caseworker")
    # Nothing listens on port 1: as if PostgreSQL were down.
    monkeypatch.setenv("REFERRALS_DATABASE_URL", "postgresql://send:send@127.0.0.1:1/referrals")
    app = create_app()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        created = await client.post(
            "/v1/referrals", json=sample_referral(), headers={"Authorization": f"Bearer {token}"}
        )
        ready = await client.get("/health/ready")
        live = await client.get("/health/live")

    assert created.status_code == 503
    assert created.headers["retry-after"] == "5"
    assert "database" in created.json()["detail"]
    assert ready.status_code == 503
    assert ready.json()["checks"]["postgres"].startswith("unavailable")
    assert live.status_code == 200


async def test_without_kafka_an_api_pod_stays_ready_and_takes_referrals_into_its_outbox(
    databases: Databases, identity: IdentityProvider
) -> None:
    """DESIGN.md's outage rule: readiness is PostgreSQL's alone. Kafka being down is reported
    (checks.kafka) but takes no API pod out of service: the referral waits in the outbox."""
    url = await databases.fresh("outage_kafka", "referrals", migrations_of("referrals"))
    # Nothing listens on port 1: as if Kafka were down.
    service = referrals_service(
        url, identity, kafka_bootstrap_servers="127.0.0.1:1", accept_test_nhs_numbers=True
    )
    async with (
        service as app,
        app.router.lifespan_context(app),
        await signed_in(app, identity, "leeds-caseworker") as client,
    ):
        ready = await client.get("/health/ready")
        created = await client.post("/v1/referrals", json=referral_request())
        waiting = (
            await service_state(app)
            .database.pool()
            .fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        )
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["postgres"] == "ok"
    assert ready.json()["checks"]["kafka"] != "ok"
    assert created.status_code == 201, created.text
    assert waiting >= 1
