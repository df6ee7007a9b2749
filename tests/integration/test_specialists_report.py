"""The commissioning report on the seeded registry (Leeds and Bradford): per role and
district, capacity, allocated, waiting, the longest and median waits, where demand exceeds
supply, and the gaps no team serves; as JSON and as CSV. And the waits as a metric."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider, migrations_of, service_url
from shared.events import Sen2Need
from shared.migrations import owner_connection
from shared.specialisms import Specialism
from tests.conftest import Databases
from tests.integration.specialists_app import (
    BRADFORD,
    LEEDS,
    assessment_decided,
    handle,
    plan,
    specialists_service,
)


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("capacity", "specialists", migrations_of("specialists"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with specialists_service(owner_url, identity) as running:
        yield running


async def _client(app: FastAPI, identity: IdentityProvider, user: str) -> httpx.AsyncClient:
    token = await fetch_token(identity.issuer, user)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {token}"},
    )


def _row(report: dict[str, Any], role: str, district: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        r for r in report["rows"] if (r["role"], r["district"]) == (role, district)
    ]
    assert len(found) == 1, (role, district)
    return found[0]


async def test_the_capacity_report_on_the_seeded_councils(
    owner_url: str, app: FastAPI, identity: IdentityProvider
) -> None:
    owner = await owner_connection(owner_url)
    await owner.execute(  # Bradford's OT nearly full: one place left
        "UPDATE specialists SET capacity = 1 WHERE display_name = 'Bradford children''s OT'"
    )
    await owner.close()
    pool = await asyncpg.create_pool(service_url(owner_url), min_size=1, max_size=2)
    try:
        for district in ("LS6", "LS6", "LS6", "LS11", "LS16"):
            await handle(pool, plan(district=district))
        hearing = plan(district="LS6", need=Sen2Need.HI, track="ehc")
        await handle(pool, hearing)
        await handle(pool, assessment_decided(hearing.referral_id, LEEDS))  # its advisers
        for _ in range(3):
            await handle(
                pool, plan(BRADFORD, "BD5", Sen2Need.PD, [Specialism.OCCUPATIONAL_THERAPY])
            )
        await handle(
            pool,
            plan(BRADFORD, "BD1", Sen2Need.MSI, [Specialism.MULTI_SENSORY_IMPAIRMENT_TEACHING]),
        )
    finally:
        await pool.close()

    async with await _client(app, identity, "leeds-manager") as leeds:
        report = (await leeds.get("/v1/reports/capacity", params={"local_authority": LEEDS})).json()
        as_csv = await leeds.get(
            "/v1/reports/capacity",
            params={"local_authority": LEEDS},
            headers={"Accept": "text/csv"},
        )
        refused = await leeds.get("/v1/reports/capacity", params={"local_authority": BRADFORD})
        metrics = (await leeds.get("/metrics")).text
    async with await _client(app, identity, "bradford-manager") as bradford:
        theirs = await bradford.get(
            "/v1/reports/capacity", params={"local_authority": BRADFORD, "format": "csv"}
        )
        bradford_report = (
            await bradford.get("/v1/reports/capacity", params={"local_authority": BRADFORD})
        ).json()
    print(f"\nLeeds (CSV):\n{as_csv.text}\nBradford (CSV):\n{theirs.text}")
    print("gaps:", json.dumps({LEEDS: report["gaps"], BRADFORD: bradford_report["gaps"]}))

    assert refused.status_code == 403
    slt = "speech_and_language_therapy"
    assert _row(report, slt, "LS6") | {"longest_wait_days": None} == {
        "role": slt, "district": "LS6", "capacity": 400, "allocated": 5, "waiting": 0,
        "no_team": 0, "longest_wait_days": None, "median_wait_days": 0.0,
        "demand_exceeds_supply": False,
    }  # fmt: skip  # three support (1 each) and an EHC case (2)
    assert _row(report, slt, "all")["capacity"] == 800  # North and South, each counted once
    assert _row(report, slt, "all")["allocated"] == 7
    assert _row(report, "hearing_impairment_teaching", "LS6")["allocated"] == 2
    assert report["gaps"] == []
    ot = _row(bradford_report, "occupational_therapy", "BD5")
    assert (ot["capacity"], ot["allocated"], ot["waiting"]) == (1, 1, 2)
    assert ot["demand_exceeds_supply"] is True
    assert ot["longest_wait_days"] is not None
    msi = _row(bradford_report, "multi_sensory_impairment_teaching", "BD1")
    assert (msi["capacity"], msi["no_team"], msi["demand_exceeds_supply"]) == (0, 1, True)
    assert bradford_report["gaps"] == ["multi_sensory_impairment_teaching"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert len(rows) == len(report["rows"])
    assert rows[0]["local_authority"] == LEEDS
    assert {"role", "district", "capacity", "median_wait_days"} <= set(rows[0])
    assert f'send_specialists_wait_seconds_count{{council="{LEEDS}",role="{slt}"}}' in metrics
    gap = 'role="multi_sensory_impairment_teaching"'
    assert any(line.startswith("send_specialists_no_team_total") and gap in line
               for line in metrics.splitlines())  # fmt: skip
