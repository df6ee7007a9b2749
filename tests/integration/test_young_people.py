"""Young people (Children and Families Act 2014 s83, s80): a young person over compulsory
school age asks for themselves on the public form, is the contact, and says whether what they
tell us may be shared; where a young person lacks mental capacity a caseworker records who
represents them and why, and from then the messages go to the representative. Real PostgreSQL,
row-level security; events read from the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from scripts.platform import IdentityProvider, migrations_of
from shared.dates import london_today
from shared.family_links import CONFIRMATION_AUDIENCE, mint
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.referrals_app import (
    LEEDS,
    outbox_events,
    referral_body,
    referrals_service,
    signed_in,
)
from tests.integration.test_public_requests import KEY, request_body

CONTACT_TOPIC = "referrals.family-contact-registered.v1"
REASON = "Assessed as lacking capacity to make decisions about education (March 2026)"
REPRESENTATIVE: dict[str, Any] = {
    "relationship": "deputy",
    "reason": REASON,
    "contact": {"name": "Dafydd Jones", "email": "dafydd@example.org"},
}


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("young", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity, family_link_key=KEY) as running:
        yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


@pytest.fixture
async def public(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield client


def _born_years_ago(years: int) -> str:
    today = london_today()
    return str(today.replace(year=today.year - years, day=min(today.day, 28)))


async def _fetch(owner_url: str, sql: str, *args: Any) -> list[Any]:
    conn = await owner_connection(owner_url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def test_a_young_person_asks_for_themselves_and_their_consent_is_kept(
    public: httpx.AsyncClient, caseworker: httpx.AsyncClient, owner_url: str
) -> None:
    body = {
        **request_body(requested_by="young_person", date_of_birth=_born_years_ago(17)),
        "sharing_consent": "refused",
        "family_contact": {"name": "Seren Jones", "email": "seren@example.org"},
    }
    made = await public.post("/v1/public/requests", json=body)
    assert made.status_code == 201, made.text
    (row,) = await _fetch(
        owner_url,
        "SELECT id FROM public_requests WHERE upper(left(id::text, 8)) = $1",
        made.json()["reference"],
    )
    request_id = str(row["id"])
    # The link goes to the young person: they are the contact.
    contact = [e for t, e in await outbox_events(owner_url, request_id) if t == CONTACT_TOPIC]
    assert [(c["contact_name"], c["email"]) for c in contact] == [
        ("Seren Jones", "seren@example.org")
    ]
    token = mint(
        KEY,
        referral_id=UUID(request_id),
        local_authority=LEEDS,
        valid_for=timedelta(days=1),
        audience=CONFIRMATION_AUDIENCE,
    )
    assert (
        await public.post("/v1/public/requests/confirm", json={"token": token})
    ).status_code == 200
    referral = (await caseworker.get(f"/v1/referrals/{request_id}")).json()
    assert referral["requested_by"] == "young_person"
    child = (await caseworker.get(f"/v1/referrals/{request_id}/child")).json()
    assert child["sharing_consent"] == "refused"
    assert child["representative"] is None
    assert child["decides"] == "young_person"  # s83: the decisions are theirs


async def test_a_caseworker_records_a_young_persons_representative_who_is_told_from_then(
    app: FastAPI,
    identity: IdentityProvider,
    caseworker: httpx.AsyncClient,
    owner_url: str,
) -> None:
    made = await caseworker.post(
        "/v1/referrals", json=referral_body(date_of_birth=_born_years_ago(19))
    )
    assert made.status_code == 201, made.text
    referral_id = made.json()["id"]
    before = (await caseworker.get(f"/v1/referrals/{referral_id}/child")).json()
    assert before["decides"] == "young_person"
    async with await signed_in(app, identity, "bradford-caseworker") as bradford:
        elsewhere = await bradford.post(
            f"/v1/referrals/{referral_id}/representative", json=REPRESENTATIVE
        )
    assert elsewhere.status_code == 404  # another council's: as if not there

    recorded = await caseworker.post(
        f"/v1/referrals/{referral_id}/representative", json=REPRESENTATIVE
    )

    assert recorded.status_code == 200, recorded.text
    contacts = [e for t, e in await outbox_events(owner_url, referral_id) if t == CONTACT_TOPIC]
    assert [(c["contact_name"], c["representative"]) for c in contacts] == [
        ("Ann Parent", False),
        ("Dafydd Jones", True),  # the messages go to the representative from now on
    ]
    child = (await caseworker.get(f"/v1/referrals/{referral_id}/child")).json()
    assert (child["representative"], child["representative_reason"]) == (
        "deputy",
        REPRESENTATIVE["reason"],
    )
    assert child["decides"] == "representative"  # s80: they act for the young person
    timeline = (await caseworker.get(f"/v1/referrals/{referral_id}")).json()["timeline"]
    assert [
        (s["step"], s["detail"]) for s in timeline if s["step"] == "representative_recorded"
    ] == [("representative_recorded", "deputy")]
    audited = await _fetch(
        owner_url,
        "SELECT actor, action FROM audit_log WHERE referral_id = $1 AND resource = $2",
        UUID(referral_id),
        "representative",
    )
    assert [tuple(a) for a in audited] == [("leeds-caseworker", "update")]
    # The reason is the council's record: never in an event.
    assert REASON not in str(await outbox_events(owner_url, referral_id))


async def test_a_child_under_school_leaving_age_has_no_representative_but_their_parent(
    caseworker: httpx.AsyncClient,
) -> None:
    made = await caseworker.post(
        "/v1/referrals", json=referral_body(date_of_birth=_born_years_ago(12))
    )
    child = (await caseworker.get(f"/v1/referrals/{made.json()['id']}/child")).json()
    assert child["decides"] == "parent"
    refused = await caseworker.post(
        f"/v1/referrals/{made.json()['id']}/representative", json=REPRESENTATIVE
    )
    assert refused.status_code == 422
    assert [e["loc"] for e in refused.json()["detail"]] == [["body", "relationship"]]
    bad = await caseworker.post(
        f"/v1/referrals/{made.json()['id']}/representative",
        json={**REPRESENTATIVE, "reason": "lacks capacity\u202e"},
    )
    assert bad.status_code == 422
    assert ["body", "reason"] in [e["loc"] for e in bad.json()["detail"]]
