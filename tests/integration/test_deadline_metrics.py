"""The statutory deadline warnings as the metrics the chart's alerts watch: each deadline found at
risk, then missed, counted once in the referrals service's /metrics (real PostgreSQL, an
injected clock)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from referrals.deadlines import DeadlineWatch

from scripts.platform import IdentityProvider, migrations_of, service_url
from shared.dates import london_today
from shared.state import service_state
from tests.conftest import Databases
from tests.integration.referrals_app import LEEDS, referral_body, referrals_service, signed_in


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("deadline_metrics", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity, deadline_at_risk_days=10) as running:
        yield running


async def _warnings(app: FastAPI) -> dict[tuple[str, str, str], float]:
    """(metric, council, deadline) -> count, read from the app's /metrics as Prometheus would."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        text = (await client.get("/metrics")).text
    return {
        (s.name, s.labels["local_authority"], s.labels["deadline"]): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name
        in ("send_statutory_deadlines_missed_total", "send_statutory_deadlines_at_risk_total")
    }


async def test_a_missed_deadline_is_counted_once_by_council_and_deadline(
    app: FastAPI, owner_url: str, identity: IdentityProvider
) -> None:
    start = london_today() - timedelta(days=1)
    async with await signed_in(app, identity, "leeds-caseworker") as caseworker:
        created = await caseworker.post(
            "/v1/referrals", json=referral_body(track="ehc", received_on=start)
        )
    assert created.status_code == 201, created.text
    decision_due = start + timedelta(weeks=6)
    missed = ("send_statutory_deadlines_missed_total", LEEDS, "decision")
    at_risk = ("send_statutory_deadlines_at_risk_total", LEEDS, "decision")
    before = await _warnings(app)  # the counters are the process's: other tests count too
    conn = await asyncpg.connect(service_url(owner_url))
    try:

        async def check(day: date) -> dict[tuple[str, str, str], float]:
            await DeadlineWatch(at_risk_days=10, interval_s=60, today=lambda: day).check(
                service_state(app).work, conn
            )
            now = await _warnings(app)
            return {k: v - before.get(k, 0) for k, v in now.items() if v != before.get(k, 0)}

        assert await check(decision_due - timedelta(days=11)) == {}
        assert await check(decision_due - timedelta(days=10)) == {at_risk: 1}
        assert await check(decision_due - timedelta(days=5)) == {at_risk: 1}  # not again
        assert await check(decision_due + timedelta(days=1)) == {at_risk: 1, missed: 1}
        assert await check(decision_due + timedelta(days=2)) == {at_risk: 1, missed: 1}
    finally:
        await conn.close()
