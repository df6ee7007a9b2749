"""Advice the family asks for (SEND Regulations 2014, reg 6(1)(h)) through the referrals API on
real PostgreSQL (#21): the ask recorded with what, from whom and when, or refused as not
reasonable with its reason; once sought, the decision whether to issue a plan is refused (409
naming ``asked_for_by_family``) until that advice is sought, by asking for it or as existing
advice agreed (reg 6(4)); the family's page says what the law says; the words are erased with
the child's details."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from referrals.domain import FAMILY_ADVICE_WORDS
from referrals.retention import erase_past_retention

from scripts.platform import IdentityProvider, migrations_of
from shared.dates import london_today
from shared.state import service_state
from tests.conftest import Databases
from tests.integration.plans_family import link
from tests.integration.referrals_app import (
    outbox_events,
    referral_body,
    referrals_service,
    signed_in,
)

EVERY_CHILDS_ADVICE = ["parent", "educational", "educational_psychology", "medical", "social_care"]
ASK = {
    "advice": "A report from the occupational therapist who saw Sam last year",
    "asked_of": "Community occupational therapy, Leeds",
    "decision": "seek",
}


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("family_advice", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


@pytest.fixture
async def family(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield client


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer


async def _assessing(client: httpx.AsyncClient) -> tuple[str, str]:
    """An EHC request being assessed, every child's advice asked for: its path and id."""
    start = london_today() - timedelta(weeks=8)
    created = await _post(client, "/v1/referrals", referral_body(track="ehc", received_on=start))
    path = f"/v1/referrals/{created['id']}"
    await _post(
        client, f"{path}/assessment-decision", {"decision": "assess", "decided_on": str(start)}
    )
    await _post(
        client,
        f"{path}/advice-requests",
        {"kinds": EVERY_CHILDS_ADVICE, "requested_on": str(start)},
    )
    return path, created["id"]


async def test_advice_the_family_asked_for_must_be_sought_before_the_decision_to_issue(
    caseworker: httpx.AsyncClient, family: httpx.AsyncClient, owner_url: str, today: date
) -> None:
    path, referral_id = await _assessing(caseworker)
    asked_on = str(today - timedelta(weeks=6))
    headers = {"Idempotency-Key": "family-asks-for-ot-advice"}
    first = await caseworker.post(
        f"{path}/family-advice-asks", json={**ASK, "asked_on": asked_on}, headers=headers
    )
    assert first.status_code == 200, first.text
    [recorded] = first.json()["family_advice_asks"]
    assert (recorded["asked_on"], recorded["decision"]) == (asked_on, "seek")
    assert (recorded["advice"], recorded["asked_of"]) == (ASK["advice"], ASK["asked_of"])
    assert recorded["recorded_by"] == "leeds-caseworker"
    again = await caseworker.post(
        f"{path}/family-advice-asks", json={**ASK, "asked_on": asked_on}, headers=headers
    )
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(again.json()["family_advice_asks"]) == 1  # a retry records nothing again

    refused = await caseworker.post(
        f"{path}/plan-decision", json={"decision": "issue", "decided_on": str(today)}
    )
    assert refused.status_code == 409
    assert "['asked_for_by_family']" in refused.json()["detail"]
    await _post(
        caseworker,
        f"{path}/advice-requests",
        {"kinds": ["asked_for_by_family"], "requested_on": str(today - timedelta(weeks=5))},
    )
    ehc = await _post(
        caseworker, f"{path}/plan-decision", {"decision": "issue", "decided_on": str(today)}
    )
    assert ehc["stage"] == "plan_to_be_issued"

    timeline = (await caseworker.get(path)).json()["timeline"]
    assert [t["detail"] for t in timeline if t["step"] == "family_advice_asked"] == ["seek"]
    view = (await family.get(f"/v1/family/{link(UUID(referral_id))}")).json()
    assert FAMILY_ADVICE_WORDS["seek"] in [s["what"] for s in view["steps"]]
    for _, event in await outbox_events(owner_url, referral_id):
        assert "occupational" not in str(event)  # the words stay in referrals


async def test_existing_advice_may_be_what_the_family_asked_for(
    caseworker: httpx.AsyncClient,
    today: date,
) -> None:
    """Reg 6(4): advice given before, agreed by its giver, the council and the family, counts
    as sought for the advice the family asked for."""
    path, _ = await _assessing(caseworker)
    await _post(caseworker, f"{path}/family-advice-asks", {**ASK, "asked_on": str(today)})
    existing = {
        "kind": "asked_for_by_family",
        "description": "The occupational therapist's report of last year",
        "advice_dated": str(today - timedelta(weeks=30)),
        "given_by": "A Therapist, community occupational therapy",
        "giver_agreed": True,
        "family_agreed_by": "parent",
        "agreed_on": str(today),
    }
    await _post(caseworker, f"{path}/existing-advice", existing)
    ehc = await _post(
        caseworker, f"{path}/plan-decision", {"decision": "issue", "decided_on": str(today)}
    )
    assert ehc["stage"] == "plan_to_be_issued"


async def test_an_ask_refused_as_not_reasonable_needs_its_reason_and_requires_nothing(
    caseworker: httpx.AsyncClient, family: httpx.AsyncClient, today: date
) -> None:
    path, referral_id = await _assessing(caseworker)
    body = {**ASK, "asked_on": str(today), "decision": "refuse"}
    no_reason = await caseworker.post(f"{path}/family-advice-asks", json=body)
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"][0]["loc"] == ["body", "reason"]
    seek_with_reason = await caseworker.post(
        f"{path}/family-advice-asks", json={**ASK, "asked_on": str(today), "reason": "No"}
    )
    assert seek_with_reason.json()["detail"][0]["loc"] == ["body", "reason"]
    future = await caseworker.post(
        f"{path}/family-advice-asks", json={**ASK, "asked_on": str(today + timedelta(days=1))}
    )
    assert future.status_code == 422
    assert future.json()["detail"][0]["loc"] == ["body", "asked_on"]
    no_whom = await caseworker.post(
        f"{path}/family-advice-asks", json={**ASK, "asked_on": str(today), "asked_of": ""}
    )
    assert no_whom.json()["detail"][0]["loc"] == ["body", "asked_of"]
    reason = "The same therapist's report of last month is already asked for as medical advice"
    ehc = await _post(caseworker, f"{path}/family-advice-asks", {**body, "reason": reason})
    assert ehc["family_advice_asks"][0]["refusal_reason"] == reason
    ehc = await _post(
        caseworker, f"{path}/plan-decision", {"decision": "issue", "decided_on": str(today)}
    )
    assert ehc["stage"] == "plan_to_be_issued"
    view = (await family.get(f"/v1/family/{link(UUID(referral_id))}")).json()
    assert FAMILY_ADVICE_WORDS["refuse"] in [s["what"] for s in view["steps"]]


async def test_an_ask_is_recorded_only_while_the_council_assesses(
    caseworker: httpx.AsyncClient,
    today: date,
) -> None:
    created = await _post(
        caseworker, "/v1/referrals", referral_body(track="ehc", received_on=today)
    )
    early = await caseworker.post(
        f"/v1/referrals/{created['id']}/family-advice-asks", json={**ASK, "asked_on": str(today)}
    )
    assert early.status_code == 409
    assert "assessment_requested" in early.json()["detail"]


async def test_the_familys_words_are_erased_with_the_childs_details(
    app: FastAPI, caseworker: httpx.AsyncClient, today: date
) -> None:
    """Last in this module: retention erases every child here."""
    path, _ = await _assessing(caseworker)
    reason = "Sam's report of last month is already asked for"
    await _post(
        caseworker,
        f"{path}/family-advice-asks",
        {**ASK, "asked_on": str(today), "decision": "refuse", "reason": reason},
    )
    async with service_state(app).database.pool().acquire() as conn:  # the service's own role
        await erase_past_retention(service_state(app).work, conn, today=today, years=1)
    [kept] = (await caseworker.get(path)).json()["ehc"]["family_advice_asks"]
    assert (kept["advice"], kept["asked_of"], kept["refusal_reason"]) == ("erased",) * 3
    assert (kept["asked_on"], kept["decision"]) == (str(today), "refuse")
