"""A service whose database is unreachable stays up, says it is not ready and answers 503."""

from __future__ import annotations

import httpx
import pytest
from referrals.app import create_app

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider
from scripts.run_platform import sample_referral
from tests.conftest import Infrastructure


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
