"""Intake a council can trust, through the referrals API on real PostgreSQL: councils with
SEND duties, ages and dates, names, NHS numbers, Idempotency-Key and duplicates, also when
requests race each other."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from scripts.platform import IdentityProvider, migrations_of
from shared.dates import london_today
from shared.events import ReferralRequested, wrap
from shared.migrations import owner_connection
from tests.conftest import Databases
from tests.integration.referrals_app import (
    BRADFORD,
    LEEDS,
    handled,
    nhs_number,
    outbox_events,
    referral_body,
    referrals_service,
    signed_in,
)


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("intake", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity, accept_test_nhs_numbers=False) as running:
        yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


async def _count(owner_url: str, sql: str, *args: Any) -> int:
    conn = await owner_connection(owner_url)
    try:
        return int(await conn.fetchval(sql, *args))
    finally:
        await conn.close()


def _problems(response: httpx.Response) -> dict[tuple[str, ...], str]:
    assert response.status_code == 422, response.text
    return {tuple(p["loc"][1:]): p["msg"] for p in response.json()["detail"]}


async def test_a_retried_post_gets_the_first_answer_and_creates_nothing_even_when_racing(
    caseworker: httpx.AsyncClient, owner_url: str
) -> None:
    body = referral_body(nhs_number=nhs_number(1))
    headers = {"Idempotency-Key": "retry-0001"}
    answers = await asyncio.gather(
        *(caseworker.post("/v1/referrals", json=body, headers=headers) for _ in range(6))
    )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 5
    referral_id = answers[0].json()["id"]
    assert await _count(owner_url, "SELECT count(*) FROM referrals WHERE id = $1", referral_id)
    # The referral, the family's contact (notifications) and the child's name (plans).
    assert await _count(owner_url, "SELECT count(*) FROM outbox WHERE key = $1", referral_id) == 3

    other = referral_body(nhs_number=nhs_number(2))
    reused = await caseworker.post("/v1/referrals", json=other, headers=headers)
    assert "different request" in _problems(reused)[("Idempotency-Key",)]
    assert reused.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]


async def test_racing_requests_for_one_child_make_one_referral_and_409s_naming_it(
    caseworker: httpx.AsyncClient, identity: IdentityProvider, app: FastAPI
) -> None:
    number = nhs_number(3)
    bodies = [referral_body(nhs_number=number) for _ in range(5)]
    for body in bodies[1:]:
        body["child"].update({k: bodies[0]["child"][k] for k in ("given_name", "family_name")})
    answers = await asyncio.gather(*(caseworker.post("/v1/referrals", json=b) for b in bodies))
    created = [a for a in answers if a.status_code == 201]
    refused = [a for a in answers if a.status_code == 409]
    assert (len(created), len(refused)) == (1, 4), [a.text for a in answers]
    assert {r.json()["referral_id"] for r in refused} == {created[0].json()["id"]}

    # The same child without an NHS number: found by name, date of birth and postcode.
    same_child = {**bodies[0]["child"], "given_name": bodies[0]["child"]["given_name"].upper()}
    del same_child["nhs_number"]
    by_name = await caseworker.post("/v1/referrals", json={**bodies[0], "child": same_child})
    assert by_name.status_code == 409
    assert by_name.json()["referral_id"] == created[0].json()["id"]

    # Another council's record of the child is another record.
    async with await signed_in(app, identity, "bradford-caseworker") as bradford:
        elsewhere = await bradford.post(
            "/v1/referrals", json={**bodies[0], "local_authority": BRADFORD}
        )
    assert elsewhere.status_code == 201, elsewhere.text


async def test_a_known_nhs_number_with_other_details_is_never_merged(
    caseworker: httpx.AsyncClient, owner_url: str
) -> None:
    first = referral_body(track="ehc", nhs_number=nhs_number(4))
    created = await caseworker.post("/v1/referrals", json=first)
    referral_id = created.json()["id"]
    # The request ends (refused), so the child has no open referral any more.
    refused = await caseworker.post(
        f"/v1/referrals/{referral_id}/assessment-decision",
        json={
            "decision": "refuse",
            "decided_on": str(london_today()),
            "reason": "needs_met_from_available_provision",
        },
    )
    assert refused.status_code == 200, refused.text
    other_child = referral_body(nhs_number=nhs_number(4))
    conflict = await caseworker.post("/v1/referrals", json=other_child)
    assert conflict.status_code == 409
    assert "another name or date of birth" in conflict.json()["detail"]
    again = {**first, "track": "support"}
    assert (await caseworker.post("/v1/referrals", json=again)).status_code == 201
    children = "SELECT count(*) FROM children WHERE nhs_number = $1"
    assert await _count(owner_url, children, nhs_number(4)) == 1


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"local_authority": "E07000120"}, ("local_authority",), "no SEND duties"),
        ({"local_authority": "E06000001"}, ("local_authority",), "does not take referrals"),
        ({"received_on": timedelta(days=2)}, ("received_on",), "future"),  # from today
        ({"child": {"date_of_birth": "1990-01-01"}}, ("child", "date_of_birth"), "under 25"),
        ({"child": {"nhs_number": "999 000 0018"}}, ("child", "nhs_number"), "test NHS number"),
        ({"child": {"nhs_number": "943 476 5919"}}, ("child", "nhs_number"), "issued"),
        ({"child": {"given_name": "<b>Ann</b>"}}, ("child", "given_name"), "only letters"),
        ({"child": {"family_name": "   "}}, ("child", "family_name"), "blank"),
        ({"child": {"postcode": "LS6 2CI"}}, ("child", "postcode"), "UK postcode"),
        ({"child": {"school_urn": "10795"}}, ("child", "school_urn"), "pattern"),
        ({"secondary_needs": ["SLCN"]}, ("secondary_needs",), "already the primary need"),
        ({"secondary_needs": ["HI", "HI"]}, ("secondary_needs",), "listed twice"),
        ({"language": "English"}, ("language",), "pattern"),
        ({"about_the_child": {"strengths": "x" * 4001}}, ("about_the_child", "strengths"), "4000"),
        (
            {"about_the_child": {"strengths": "Kind\u0000"}},
            ("about_the_child", "strengths"),
            "control or formatting characters: U+0000",
        ),
        (
            {"about_the_child": {"difficulties": "Reads \u202eslowly"}},
            ("about_the_child", "difficulties"),
            "U+202E",
        ),
        ({"about_the_child": {"views": "Bell\u0007"}}, ("about_the_child", "views"), "U+0007"),
        ({"child": {"given_name": "Ann\u0000"}}, ("child", "given_name"), "U+0000"),
        (
            {"family_contact": {"name": "A", "phone": "0113 496 0000", "preferred_channel": "sms"}},
            ("family_contact",),
            "mobile",
        ),
        (
            {
                "family_contact": {
                    "name": "A",
                    "email": "a@example.org",
                    "preferred_channel": "letter",
                }
            },
            ("family_contact",),
            "address: needed",
        ),
        (
            {
                "family_contact": {
                    "address": {"lines": ["1 High St", "Leeds"], "postcode": "LS6 2CI"}
                }
            },
            ("family_contact", "address", "postcode"),
            "UK postcode",
        ),
        (
            {"family_contact": {"address": {"lines": ["1 High St"], "postcode": "LS6 2AB"}}},
            ("family_contact", "address", "lines"),
            "at least 2",
        ),
        (
            {
                "family_contact": {
                    "address": {"lines": ["/1 High St", "Leeds"], "postcode": "LS6 2AB"}
                }
            },
            ("family_contact", "address", "lines"),
            "must not start with /",
        ),
        (
            {
                "family_contact": {
                    "address": {"lines": ["1 High St\u0000", "Leeds"], "postcode": "LS6 2AB"}
                }
            },
            ("family_contact", "address", "lines"),
            "U+0000",
        ),
    ],
)
async def test_each_refusal_is_a_422_naming_the_field_and_why(
    caseworker: httpx.AsyncClient,
    change: dict[str, Any],
    field: tuple[str, ...],
    words: str,
    today: date,
) -> None:
    body = referral_body()
    for key, value in change.items():
        if isinstance(value, timedelta):  # a day that many days from today
            value = str(today + value)
        body[key] = {**body.get(key, {}), **value} if isinstance(value, dict) else value
    response = await caseworker.post("/v1/referrals", json=body)
    problems = _problems(response)
    assert words in problems[field], problems


async def test_names_in_any_script_and_normalised_details_are_accepted(
    caseworker: httpx.AsyncClient, owner_url: str
) -> None:
    body = referral_body(
        given_name="Nguyễn Siân",
        family_name="محمد",
        postcode="ls62ab",
        nhs_number=f"{nhs_number(5)[:3]}-{nhs_number(5)[3:6]}-{nhs_number(5)[6:]}",
    )
    body["family_contact"] = {
        "name": "Siân",
        "phone": "+44 7700 900123",
        "preferred_channel": "sms",
    }
    response = await caseworker.post("/v1/referrals", json=body)
    assert response.status_code == 201, response.text
    conn = await owner_connection(owner_url)
    try:
        child = await conn.fetchrow(
            """SELECT c.given_name, c.nhs_number, c.postcode FROM children c
               JOIN referrals r ON r.child_id = c.id WHERE r.id = $1""",
            response.json()["id"],
        )
        contact = await conn.fetchval(
            """SELECT envelope->'data'->>'phone' FROM outbox
               WHERE key = $1 AND topic = 'referrals.family-contact-registered.v1'""",
            response.json()["id"],
        )
    finally:
        await conn.close()
    assert child is not None
    assert tuple(child) == ("Nguyễn Siân", nhs_number(5), "LS6 2AB")
    assert contact == "07700900123"


async def test_needs_school_and_the_referrers_words_go_where_each_is_needed(
    caseworker: httpx.AsyncClient, owner_url: str
) -> None:
    body = referral_body(nhs_number=nhs_number(6))
    body["child"]["school_urn"] = "107958"
    body["secondary_needs"] = ["SEMH", "HI"]
    body["language"] = "ur"
    body["about_the_child"] = {"strengths": "Loves drawing", "difficulties": "Noisy rooms"}
    response = await caseworker.post("/v1/referrals", json=body)
    assert response.status_code == 201, response.text
    referral_id = response.json()["id"]
    conn = await owner_connection(owner_url)
    try:
        published = {
            r["topic"]: r["data"]
            for r in await conn.fetch(
                "SELECT topic, envelope->'data' AS data FROM outbox WHERE key = $1", referral_id
            )
        }
        stored = await conn.fetchrow(
            "SELECT secondary_needs, school_urn, language FROM referrals WHERE id = $1::uuid",
            referral_id,
        )
    finally:
        await conn.close()
    received = json.loads(published["referrals.referral-received.v1"])
    assert received["secondary_needs"] == ["SEMH", "HI"]
    assert (received["school_urn"], received["language"], received["described"]) == (
        "107958",
        "ur",
        True,
    )
    assert "Loves drawing" not in published["referrals.referral-received.v1"]
    described = json.loads(published["referrals.referral-described.v1"])
    assert (described["strengths"], described["difficulties"]) == ("Loves drawing", "Noisy rooms")
    assert stored is not None
    assert tuple(stored) == (["SEMH", "HI"], "107958", "ur")


async def test_a_family_who_wants_letters_gives_an_address_that_goes_to_notifications_alone(
    caseworker: httpx.AsyncClient, owner_url: str
) -> None:
    body = referral_body()
    body["family_contact"] = {
        "name": "Ann Parent",
        "address": {"lines": ["  12  Otley Road", "Headingley", "Leeds "], "postcode": "ls62ab"},
        "preferred_channel": "letter",
    }
    response = await caseworker.post("/v1/referrals", json=body)
    assert response.status_code == 201, response.text
    published = await outbox_events(owner_url, response.json()["id"])
    [contact] = [d for t, d in published if t == "referrals.family-contact-registered.v1"]
    assert contact["preferred_channel"] == "letter"
    assert contact["address_lines"] == ["12 Otley Road", "Headingley", "Leeds", "LS6 2AB"]
    elsewhere = json.dumps(
        [d for t, d in published if t != "referrals.family-contact-registered.v1"]
    )
    assert "Otley" not in elsewhere
    assert "6 2AB" not in elsewhere  # only the district (LS6) leaves with the request
    assert "Otley" not in response.text


async def test_a_referral_on_the_intake_topic_is_taken_in_as_the_services_own_change(
    app: FastAPI, owner_url: str
) -> None:
    """The intake topic's handler takes a referral in by the route's path, in the unit of work
    its consumer gives it: the referral, its events, and its creation audited as
    ``system:referrals`` (no person's request)."""
    referral_id = uuid4()
    event = ReferralRequested(
        referral_id=referral_id, request=referral_body(nhs_number=nhs_number(7))
    )
    caused = await handled(app, wrap(event, source="/tests/intake", local_authority=LEEDS))
    assert [type(e).__name__ for e in caused] == [
        "ReferralReceived", "FamilyContactRegistered", "ChildIdentified",
    ]  # fmt: skip
    stored = [topic for topic, _ in await outbox_events(owner_url, referral_id)]
    assert stored == [
        "referrals.referral-received.v1", "referrals.family-contact-registered.v1",
        "referrals.child-identified.v1",
    ]  # fmt: skip
    conn = await owner_connection(owner_url)
    try:
        audited = await conn.fetch(
            """SELECT actor, action, resource, request_id FROM audit_log
               WHERE referral_id = $1""",
            referral_id,
        )
    finally:
        await conn.close()
    assert [tuple(a) for a in audited] == [("system:referrals", "create", "referral", None)]
