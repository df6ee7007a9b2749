"""Notices of the statutory EHC process through the referrals API on real PostgreSQL (#21):
mediation recorded after a decision that can be appealed, and the appeal date from both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from scripts.platform import IdentityProvider, migrations_of
from shared.dates import add_months, london_today
from tests.conftest import Databases
from tests.integration.referrals_app import referral_body, referrals_service, signed_in

TODAY = london_today()


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("notices", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer


async def _refused(client: httpx.AsyncClient, decided_on: Any) -> str:
    body = referral_body(track="ehc", received_on=decided_on - timedelta(weeks=5))
    created = await _post(client, "/v1/referrals", body)
    path = f"/v1/referrals/{created['id']}"
    await _post(
        client,
        f"{path}/assessment-decision",
        {
            "decision": "refuse",
            "decided_on": str(decided_on),
            "reason": "no_evidence_of_special_educational_needs",
            "note": "The school's support is working.",
        },
    )
    return path


async def test_the_appeal_date_runs_from_the_mediation_certificate_when_later(
    caseworker: httpx.AsyncClient,
) -> None:
    decided_on = TODAY - timedelta(days=50)
    path = await _refused(caseworker, decided_on)
    ehc = (await caseworker.get(path)).json()["ehc"]
    assert ehc["appeal_by"] == str(add_months(decided_on, 2))
    asked = await _post(
        caseworker, f"{path}/mediation", {"mediation_asked_on": str(decided_on + timedelta(3))}
    )
    assert asked["appeal_by"] == str(add_months(decided_on, 2))
    certified = await _post(
        caseworker, f"{path}/mediation", {"mediation_certificate_on": str(TODAY)}
    )
    assert certified["mediation_asked_on"] == str(decided_on + timedelta(3))
    assert certified["appeal_by"] == str(max(add_months(TODAY, 1), add_months(decided_on, 2)))
    assert certified["appeal_by"] == str(add_months(TODAY, 1))
    timeline = (await caseworker.get(path)).json()["timeline"]
    assert [t["detail"] for t in timeline if t["step"] == "mediation_recorded"] == [
        "asked",
        "certificate",
    ]


async def test_mediation_is_refused_before_an_appealable_decision_and_bad_dates_name_the_field(
    caseworker: httpx.AsyncClient,
) -> None:
    created = await _post(
        caseworker, "/v1/referrals", referral_body(track="ehc", received_on=TODAY)
    )
    early = await caseworker.post(
        f"/v1/referrals/{created['id']}/mediation", json={"mediation_asked_on": str(TODAY)}
    )
    assert early.status_code == 409
    path = await _refused(caseworker, TODAY - timedelta(days=10))
    before = await caseworker.post(
        f"{path}/mediation", json={"mediation_asked_on": str(TODAY - timedelta(days=11))}
    )
    assert before.status_code == 422
    assert before.json()["detail"][0]["loc"] == ["body", "mediation_asked_on"]
    future = await caseworker.post(
        f"{path}/mediation", json={"mediation_certificate_on": str(TODAY + timedelta(days=1))}
    )
    assert future.json()["detail"][0]["loc"] == ["body", "mediation_certificate_on"]
