"""A school's SENCo in referrals (real PostgreSQL, the application role, signed in through the
development identity provider as the seed's SENCos of two Leeds schools): they see their own
pupils' referrals, read only, and nothing about any other school's pupils, through every
route; they may ask for support or an EHC needs assessment for a pupil of their own schools
(the clock starts on the day received), and a request for a child the council knows already
is held for a caseworker, never answered with the child's referral."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from devtools.dev_identity_seed import LEEDS_SCHOOL_URN, OTHER_LEEDS_SCHOOL_URN
from scripts.platform import IdentityProvider, migrations_of
from shared.dates import london_today
from tests.conftest import Databases
from tests.integration.referrals_app import (
    BRADFORD,
    nhs_number,
    outbox_events,
    referral_body,
    referrals_service,
    signed_in,
)


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("schools", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def clients(
    app: FastAPI, identity: IdentityProvider
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    found = {
        user: await signed_in(app, identity, user)
        for user in ("leeds-caseworker", "bradford-caseworker", "leeds-senco", "leeds-senco-2")
    }
    yield found
    for client in found.values():
        await client.aclose()


async def _referral(client: httpx.AsyncClient, **child: Any) -> str:
    created = await client.post("/v1/referrals", json=referral_body(**child))
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def test_a_senco_sees_their_own_pupils_and_nothing_of_another_schools(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    caseworker = clients["leeds-caseworker"]
    mine = await _referral(caseworker, school_urn=LEEDS_SCHOOL_URN)
    theirs = await _referral(caseworker, school_urn=OTHER_LEEDS_SCHOOL_URN)
    no_school = await _referral(caseworker)
    bradford = clients["bradford-caseworker"]
    created = await bradford.post(
        "/v1/referrals",
        json=referral_body(council=BRADFORD, school_urn=LEEDS_SCHOOL_URN, postcode="BD1 1AA"),
    )
    assert created.status_code == 201, created.text
    other_council = created.json()["id"]

    senco = clients["leeds-senco"]
    listed = (await senco.get("/v1/school/pupils")).json()
    ids = {p["referral_id"] for p in listed}
    assert mine in ids
    assert ids.isdisjoint({theirs, no_school, other_council})
    [pupil] = [p for p in listed if p["referral_id"] == mine]
    assert pupil["school_urn"] == LEEDS_SCHOOL_URN
    assert pupil["reference"] == mine[:8].upper()
    assert pupil["given_name"].startswith("Given")

    seen = await senco.get(f"/v1/school/pupils/{mine}")
    assert seen.status_code == 200, seen.text
    assert seen.json()["timeline"][0]["step"] == "referral_received"
    for hidden in (theirs, no_school, other_council, "5b1c0c4e-0000-4000-8000-00000000dead"):
        answer = await senco.get(f"/v1/school/pupils/{hidden}")
        assert answer.status_code == 404, hidden
        assert "Given" not in answer.text
    # Read only, and none of the council's own routes.
    for method, path in (
        ("GET", f"/v1/referrals/{mine}"),
        ("GET", f"/v1/referrals/{mine}/child"),
        ("GET", "/v1/referrals"),
        ("POST", f"/v1/referrals/{mine}/close"),
        ("POST", f"/v1/referrals/{mine}/escalate"),
    ):
        assert (await senco.request(method, path, json={})).status_code == 403, path

    other = {
        p["referral_id"] for p in (await clients["leeds-senco-2"].get("/v1/school/pupils")).json()
    }
    assert theirs in other
    assert mine not in other


async def test_a_senco_asks_for_an_assessment_for_their_pupil_and_the_clock_starts(
    owner_url: str, clients: dict[str, httpx.AsyncClient]
) -> None:
    senco = clients["leeds-senco"]
    body = referral_body(track="ehc", school_urn=LEEDS_SCHOOL_URN, nhs_number=nhs_number(71))
    body["requested_by"] = "school"
    created = await senco.post("/v1/referrals", json=body)
    assert created.status_code == 201, created.text
    referral_id = created.json()["id"]

    seen = (await senco.get(f"/v1/school/pupils/{referral_id}")).json()
    assert seen["track"] == "ehc"
    assert seen["requested_by"] == "school"
    assert seen["received_on"] == london_today().isoformat()
    topics = [topic.split(".")[1] for topic, _ in await outbox_events(owner_url, referral_id)]
    assert "ehc-assessment-requested" in topics

    # The same child again: held for a caseworker, answered as any request (never a 409
    # naming the child's referral).
    again = await senco.post("/v1/referrals", json=body)
    assert again.status_code == 201, again.text
    assert again.json()["id"] != referral_id
    assert referral_id not in again.text


async def test_a_sencos_request_is_the_schools_for_a_pupil_of_their_schools(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    body = referral_body(school_urn=OTHER_LEEDS_SCHOOL_URN)
    refused = await clients["leeds-senco"].post("/v1/referrals", json=body)
    assert refused.status_code == 422
    assert {tuple(e["loc"][1:]) for e in refused.json()["detail"]} == {
        ("requested_by",),
        ("child", "school_urn"),
    }
    UUID(await _referral(clients["leeds-caseworker"], school_urn=OTHER_LEEDS_SCHOOL_URN))
