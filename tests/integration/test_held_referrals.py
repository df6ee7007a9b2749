"""A partner learns nothing, from an NHS number or a name, about a child it did not refer: over
HTTP its referral of a child the council already knows is answered as any referral (201, our
id, nothing else) and held for a caseworker to match, audited, the family told nothing; the
caseworker lists what is held and joins, takes in or declines it. Staff are answered as
before. (The Kafka path: ``test_partner_intake``.) Real PostgreSQL, row-level security."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from referrals.retention import erase_past_retention

from devtools.dev_identity import fetch_client_token
from devtools.dev_identity_seed import DEV_CLIENT_SECRET
from scripts.platform import IdentityProvider, migrations_of
from shared.dates import london_today
from shared.migrations import owner_connection
from shared.state import service_state
from tests.conftest import Databases
from tests.integration.referrals_app import (
    BRADFORD,
    nhs_number,
    outbox_events,
    referral_body,
    referrals_service,
    signed_in,
)

PARTNER = "west-yorkshire-slt"  # may refer to Leeds and Bradford
RECEIPT = {"id", "status", "track", "local_authority", "received_on"}


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("held", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity, accept_test_nhs_numbers=False) as running:
        yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


@pytest.fixture
async def partner(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    token = await fetch_client_token(identity.issuer, PARTNER, DEV_CLIENT_SECRET)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        yield client


Query = Callable[..., Awaitable[Any]]


@pytest.fixture
def fetch(owner_url: str) -> Query:
    """A query as the tables' owner (no council boundary): what the test checks behind the
    API."""

    async def run(sql: str, *args: Any) -> Any:
        conn = await owner_connection(owner_url)
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    return run


_seed = iter(range(100, 10_000))


def _child(**changes: Any) -> dict[str, Any]:
    return referral_body(nhs_number=nhs_number(next(_seed)), **changes)


def _same_child(first: dict[str, Any], track: str | None = None, **child: Any) -> dict[str, Any]:
    """Another request for ``first``'s child, as a partner sends it, with ``child``'s changes
    (``None``: left out)."""
    details = {k: v for k, v in {**first["child"], **child}.items() if v is not None}
    return {**first, "requested_by": "health", "track": track or first["track"], "child": details}


async def _refer(caseworker: httpx.AsyncClient, body: dict[str, Any]) -> str:
    created = await caseworker.post("/v1/referrals", json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _says_nothing_of(response: httpx.Response, referral_id: str) -> None:
    """The answer of a referral taken in: 201, the receipt, and nothing about ``referral_id``
    or the child being known."""
    assert response.status_code == 201, response.text
    assert set(response.json()) == RECEIPT
    assert response.json()["status"] == "referral_received"
    assert referral_id not in response.text
    assert not {"known", "already", "referral_id"} & set(response.text.replace('"', " ").split())


CASES: dict[str, dict[str, Any]] = {
    "the same details": {},
    "another name": {"given_name": "Someoneelse"},
    "another date of birth": {"date_of_birth": "2018-02-03"},
    "no NHS number, the same name, birth date and postcode": {"nhs_number": None},
}


@pytest.mark.parametrize("case", list(CASES))
async def test_a_partner_referring_a_child_with_an_open_referral_learns_nothing_of_it(
    case: str,
    caseworker: httpx.AsyncClient,
    partner: httpx.AsyncClient,
    fetch: Query,
    owner_url: str,
) -> None:
    first = _child()
    known = await _refer(caseworker, first)
    body = _same_child(first, **CASES[case])

    answer = await partner.post("/v1/referrals", json=body)

    _says_nothing_of(answer, known)
    held_id = answer.json()["id"]
    (held,) = await fetch("SELECT * FROM held_referrals WHERE id = $1", UUID(held_id))
    assert (held["partner"], held["reason"]) == (PARTNER, "already-referred")
    assert str(held["suspected_referral_id"]) == known
    # Audited: the partner, on the child's referral.
    audited = await fetch(
        "SELECT actor, roles, action, resource FROM audit_log WHERE referral_id = $1::uuid "
        "AND resource = 'held-referral'",
        known,
    )
    assert [tuple(a) for a in audited] == [(PARTNER, ["partner"], "create", "held-referral")]
    # The family is not told again: no referral, no contact registered; the team is told.
    assert await outbox_events(owner_url, held_id) == []
    assert not await fetch("SELECT 1 FROM referrals WHERE id = $1", UUID(held_id))
    events = [e for t, e in await outbox_events(owner_url, known) if "held" in t]
    assert [(e["held_referral_id"], e["reason"]) for e in events] == [(held_id, "already-referred")]


async def test_a_known_nhs_number_with_a_closed_referral_is_not_confirmed_either(
    caseworker: httpx.AsyncClient, partner: httpx.AsyncClient, fetch: Query, owner_url: str
) -> None:
    first = _child(track="ehc")
    known = await _refer(caseworker, first)
    refused = await caseworker.post(
        f"/v1/referrals/{known}/assessment-decision",
        json={
            "decision": "refuse",
            "decided_on": str(london_today()),
            "reason": "needs_met_from_available_provision",
        },
    )
    assert refused.status_code == 200, refused.text  # the referral is closed

    other_details = await partner.post(
        "/v1/referrals", json=_same_child(first, given_name="Another", track="support")
    )
    same_details = await partner.post("/v1/referrals", json=_same_child(first, track="support"))

    for answer in (other_details, same_details):
        _says_nothing_of(answer, known)
    (held,) = await fetch(
        "SELECT reason, differs, suspected_referral_id FROM held_referrals WHERE id = $1",
        UUID(other_details.json()["id"]),
    )
    assert (held["reason"], held["differs"]) == ("child-details-differ", ["child.name"])
    assert str(held["suspected_referral_id"]) == known
    # The same details: a new referral of the known child, as for anyone (its family is told).
    topics = [t for t, _ in await outbox_events(owner_url, same_details.json()["id"])]
    assert "referrals.referral-received.v1" in topics


async def test_another_councils_child_is_a_new_referral_in_the_council_referred_to(
    caseworker: httpx.AsyncClient, partner: httpx.AsyncClient, fetch: Query
) -> None:
    first = _child()
    known = await _refer(caseworker, first)  # known to Leeds
    answer = await partner.post(
        "/v1/referrals", json={**_same_child(first), "local_authority": BRADFORD}
    )
    _says_nothing_of(answer, known)
    (made,) = await fetch("SELECT local_authority FROM referrals WHERE id = $1",
                          UUID(answer.json()["id"]))  # fmt: skip
    assert made["local_authority"] == BRADFORD
    assert not await fetch("SELECT 1 FROM held_referrals WHERE id = $1", UUID(answer.json()["id"]))


async def test_a_partner_resending_its_own_request_gets_its_own_answer_again(
    caseworker: httpx.AsyncClient, partner: httpx.AsyncClient, fetch: Query
) -> None:
    first = _child()
    await _refer(caseworker, first)
    headers = {"Idempotency-Key": f"partner-retry-{next(_seed)}"}
    once = await partner.post("/v1/referrals", json=_same_child(first), headers=headers)
    again = await partner.post("/v1/referrals", json=_same_child(first), headers=headers)
    assert (once.status_code, again.status_code) == (201, 201)
    assert again.json() == once.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(await fetch("SELECT 1 FROM held_referrals WHERE partner = $1 AND id = $2",
                           PARTNER, UUID(once.json()["id"]))) == 1  # fmt: skip


async def test_staff_are_still_told_which_referral_the_child_has(
    caseworker: httpx.AsyncClient,
) -> None:
    first = _child()
    known = await _refer(caseworker, first)
    duplicate = await caseworker.post("/v1/referrals", json=_same_child(first))
    assert duplicate.status_code == 409
    assert duplicate.json()["referral_id"] == known


async def _held(partner: httpx.AsyncClient, caseworker: httpx.AsyncClient) -> tuple[str, str]:
    """A Leeds referral and a partner's request for the same child, held: their ids."""
    first = _child()
    known = await _refer(caseworker, first)
    answer = await partner.post("/v1/referrals", json=_same_child(first))
    assert answer.status_code == 201
    return known, answer.json()["id"]


async def test_the_caseworker_sees_what_is_held_in_their_council_and_joins_it(
    caseworker: httpx.AsyncClient,
    partner: httpx.AsyncClient,
    app: FastAPI,
    identity: IdentityProvider,
    fetch: Query,
) -> None:
    known, held_id = await _held(partner, caseworker)
    listed = await caseworker.get("/v1/held-referrals", params={"limit": 200})
    assert listed.status_code == 200, listed.text
    (item,) = [i for i in listed.json()["items"] if i["id"] == held_id]
    assert (item["suspected_referral_id"], item["reason"], item["partner"]) == (
        known, "already-referred", PARTNER,
    )  # fmt: skip
    assert "given_name" not in listed.text  # no personal details
    assert "nhs_number" not in listed.text
    async with await signed_in(app, identity, "bradford-caseworker") as bradford:
        elsewhere = await bradford.get("/v1/held-referrals", params={"limit": 200})
    assert held_id not in elsewhere.text  # another council's
    assert (await partner.get("/v1/held-referrals")).status_code == 403

    joined = await caseworker.post(
        f"/v1/held-referrals/{held_id}/decision", json={"decision": "join"}
    )
    assert joined.status_code == 200, joined.text
    assert (joined.json()["decision"], joined.json()["referral_id"]) == ("join", known)
    (row,) = await fetch("SELECT request, decided_by FROM held_referrals WHERE id = $1",
                         UUID(held_id))  # fmt: skip
    assert row["request"] is None  # the child's details are not kept once decided
    assert row["decided_by"] == "leeds-caseworker"
    again = await caseworker.post(
        f"/v1/held-referrals/{held_id}/decision", json={"decision": "decline"}
    )
    assert again.status_code == 409
    still = await caseworker.get("/v1/held-referrals", params={"limit": 200})
    assert held_id not in still.text
    decided = await caseworker.get("/v1/held-referrals", params={"include_decided": "true"})
    assert decided.status_code == 200


async def test_taking_a_held_request_in_makes_the_referral_the_partner_was_told_of(
    caseworker: httpx.AsyncClient, partner: httpx.AsyncClient, owner_url: str
) -> None:
    known, held_id = await _held(partner, caseworker)
    closed = await caseworker.post(
        f"/v1/referrals/{known}/close", json={"reason": "support_completed"}
    )
    assert closed.status_code == 200, closed.text
    to_closed = await caseworker.post(
        f"/v1/held-referrals/{held_id}/decision", json={"decision": "join"}
    )
    assert to_closed.status_code == 422
    assert to_closed.json()["detail"][0]["loc"] == ["body", "referral_id"]

    taken = await caseworker.post(
        f"/v1/held-referrals/{held_id}/decision", json={"decision": "take-in"}
    )
    assert taken.status_code == 200, taken.text
    assert taken.json()["referral_id"] == held_id
    assert (await caseworker.get(f"/v1/referrals/{held_id}")).json()["requested_by"] == "health"
    topics = [t for t, _ in await outbox_events(owner_url, held_id)]
    assert topics.count("referrals.referral-received.v1") == 1  # the family told once, now


async def test_a_declined_request_makes_nothing(
    caseworker: httpx.AsyncClient, partner: httpx.AsyncClient, owner_url: str, fetch: Query
) -> None:
    _, held_id = await _held(partner, caseworker)
    declined = await caseworker.post(
        f"/v1/held-referrals/{held_id}/decision", json={"decision": "decline"}
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["referral_id"] is None
    assert await outbox_events(owner_url, held_id) == []
    assert not await fetch("SELECT 1 FROM referrals WHERE id = $1", UUID(held_id))
    named = await caseworker.post(
        f"/v1/held-referrals/{held_id}/decision",
        json={"decision": "decline", "referral_id": held_id},
    )
    assert named.status_code == 422


async def test_retention_erases_a_held_requests_copy_of_the_child_as_it_erases_the_childs(
    app: FastAPI, identity: IdentityProvider, partner: httpx.AsyncClient, fetch: Query
) -> None:
    first = _child(council=BRADFORD)
    async with await signed_in(app, identity, "bradford-caseworker") as bradford:
        await _refer(bradford, first)
    answer = await partner.post("/v1/referrals", json=_same_child(first))
    held_id = UUID(answer.json()["id"])
    (before,) = await fetch("SELECT request FROM held_referrals WHERE id = $1", held_id)
    assert before["request"] is not None

    async with service_state(app).database.pool().acquire() as conn:  # the service's own role
        await erase_past_retention(
            service_state(app).work, conn, today=london_today(), years=125, by_council={BRADFORD: 1}
        )

    (after,) = await fetch("SELECT request, decision FROM held_referrals WHERE id = $1", held_id)
    assert (after["request"], after["decision"]) == (None, None)  # still there to decide
