"""A request made on the public form, with no account (``/v1/public``): kept with the day it was
received, its contact sent a link to confirm it; confirmed through that link or by a caseworker
who rang them, it is taken in as a referral dated the day it was received (the EHC clock from
then). Abuse: a honeypot, a daily limit of links per contact, a limit per client address
(``X-Forwarded-For`` believed from ``TRUSTED_PROXIES`` only), a body limit, intake's safe-text
rules. Real PostgreSQL, row-level security; events read from the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from referrals.retention import erase_past_retention
from referrals.state import referrals_of

from scripts.platform import IdentityProvider, migrations_of
from shared.dates import add_months, london_today
from shared.events import NotificationDelivered, NotificationSent, wrap
from shared.family_links import CONFIRMATION_AUDIENCE, mint
from shared.migrations import owner_connection
from shared.state import service_state
from tests.conftest import Databases
from tests.integration.referrals_app import (
    LEEDS,
    handled,
    nhs_number,
    outbox_events,
    referrals_service,
    signed_in,
)

KEY = SecretStr("public-requests-test-family-link-key-0123456789")
PROXY = "10.0.0.0/8"  # the workspace's network, as the chart's workspace.podNetwork
RECEIVED_TOPIC = "referrals.public-request-received.v1"
CONTACT_TOPIC = "referrals.family-contact-registered.v1"
_seed = iter(range(7000, 9000))


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("public", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(
        owner_url,
        identity,
        family_link_key=KEY,
        public_request_messages_per_contact=2,
        rate_limit_public="6/minute",
        trusted_proxies=PROXY,
    ) as running:
        yield running


_address = iter(range(1, 250))


@pytest.fixture
async def public(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Anyone, with no account, through the workspace (a trusted proxy) from an address of
    their own (each test its own, so the per-address limit is each test's)."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("10.1.2.3", 40000)),
        base_url="http://test",
        headers={"X-Forwarded-For": f"198.51.100.{next(_address)}"},
    ) as client:
        yield client


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


Query = Callable[..., Awaitable[Any]]


@pytest.fixture
def fetch(owner_url: str) -> Query:
    async def run(sql: str, *args: Any) -> Any:
        conn = await owner_connection(owner_url)
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    return run


def request_body(
    *, requested_by: str = "parent", track: str = "ehc", email: str | None = None, **child: Any
) -> dict[str, Any]:
    marker = uuid4().hex[:8]
    body: dict[str, Any] = {
        "local_authority": LEEDS,
        "requested_by": requested_by,
        "track": track,
        "primary_need": "SLCN",
        "child": {
            "given_name": f"Given{marker}",
            "family_name": f"Family{marker}",
            "date_of_birth": "2019-05-01",
            "postcode": "LS6 2AB",
            "nhs_number": nhs_number(next(_seed)),
            **child,
        },
        "family_contact": {"name": "Ann Parent", "email": email or f"{marker}@example.org"},
    }
    return body


def confirmation_link(request_id: str, *, audience: str = CONFIRMATION_AUDIENCE) -> str:
    return mint(
        KEY,
        referral_id=UUID(request_id),
        local_authority=LEEDS,
        valid_for=timedelta(days=90),
        audience=audience,
    )


async def test_a_request_is_kept_with_the_day_received_and_nothing_else_happens_yet(
    public: httpx.AsyncClient, fetch: Query, owner_url: str
) -> None:
    made = await public.post("/v1/public/requests", json=request_body())

    assert made.status_code == 201, made.text
    assert made.json()["received_on"] == str(london_today())
    (kept,) = await fetch(
        "SELECT * FROM public_requests WHERE upper(left(id::text, 8)) = $1",
        made.json()["reference"],
    )
    assert (kept["received_on"], kept["asked_to_confirm"]) == (london_today(), True)
    assert kept["confirmed_at"] is None
    assert kept["referral_id"] is None
    topics = [t for t, _ in await outbox_events(owner_url, kept["id"])]
    assert topics == [RECEIVED_TOPIC, CONTACT_TOPIC]  # the link to confirm, and its contact
    assert not await fetch("SELECT 1 FROM referrals WHERE id = $1", kept["id"])
    audited = await fetch(
        "SELECT actor, action, resource FROM audit_log WHERE referral_id = $1", kept["id"]
    )
    assert [tuple(a) for a in audited] == [("public", "create", "public-request")]


async def test_a_filled_honeypot_is_answered_as_any_request_and_nothing_is_kept(
    public: httpx.AsyncClient, fetch: Query
) -> None:
    before = (await fetch("SELECT count(*) AS n FROM public_requests"))[0]["n"]
    made = await public.post(
        "/v1/public/requests", json={**request_body(), "honeypot": "http://spam.example"}
    )
    assert made.status_code == 201
    assert set(made.json()) == {"reference", "received_on"}
    assert (await fetch("SELECT count(*) AS n FROM public_requests"))[0]["n"] == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"child": {"nhs_number": "9434765918"}}, ["body", "child", "nhs_number"]),
        (
            {"family_contact": {"name": "Ann\u202eParent", "email": "a@example.org"}},
            ["body", "family_contact", "name"],
        ),
        (
            {"about_the_child": {"strengths": "likes \u0000 trains"}},
            ["body", "about_the_child", "strengths"],
        ),
        ({"requested_by": "health"}, ["body", "requested_by"]),
        ({"local_authority": "E07000001"}, ["body", "local_authority"]),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(
    public: httpx.AsyncClient, change: dict[str, Any], field: list[str]
) -> None:
    body = request_body()
    for name, value in change.items():
        body[name] = {**body[name], **value} if isinstance(body.get(name), dict) else value
    refused = await public.post("/v1/public/requests", json=body)
    assert refused.status_code == 422, refused.text
    assert field in [e["loc"][: len(field)] for e in refused.json()["detail"]]


async def test_a_young_person_asks_for_themselves_only_when_over_school_age_and_says_about_sharing(
    public: httpx.AsyncClient,
) -> None:
    today = london_today()
    fifteen = add_months(today, -15 * 12)  # 28 February for a 29 February
    too_young = await public.post(
        "/v1/public/requests",
        json={
            **request_body(requested_by="young_person", date_of_birth=str(fifteen)),
            "sharing_consent": "given",
        },
    )
    no_consent = await public.post(
        "/v1/public/requests",
        json=request_body(requested_by="young_person", date_of_birth="2008-01-10"),
    )
    parent_consent = await public.post(
        "/v1/public/requests", json={**request_body(), "sharing_consent": "given"}
    )
    assert too_young.status_code == 422
    assert ["body", "child", "date_of_birth"] in [e["loc"] for e in too_young.json()["detail"]]
    assert no_consent.status_code == 422
    assert [e["loc"] for e in no_consent.json()["detail"]] == [["body", "sharing_consent"]]
    assert parent_consent.status_code == 422


async def test_a_contact_is_sent_a_few_links_a_day_and_later_requests_are_kept_without_one(
    public: httpx.AsyncClient, fetch: Query, owner_url: str
) -> None:
    email = f"{uuid4().hex[:8]}@example.org"
    references = []
    for _ in range(3):
        made = await public.post("/v1/public/requests", json=request_body(email=email.upper()))
        assert made.status_code == 201, made.text
        references.append(made.json()["reference"])
    rows = await fetch(
        "SELECT id, asked_to_confirm FROM public_requests "
        "WHERE upper(left(id::text, 8)) = ANY($1) ORDER BY created_at",
        references,
    )
    assert [r["asked_to_confirm"] for r in rows] == [True, True, False]
    last = await outbox_events(owner_url, rows[-1]["id"])
    assert last[0][1]["ask_to_confirm"] is False


async def test_each_address_has_its_own_limit_behind_a_trusted_proxy(app: FastAPI) -> None:
    async def client(peer: str, forwarded: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(peer, 40000)),
            base_url="http://test",
            headers={"X-Forwarded-For": forwarded},
        )

    async with (
        await client("10.9.9.9", "203.0.113.7") as flood,
        await client("10.9.9.9", "203.0.113.8") as family,
        await client("192.0.2.50", "203.0.113.9") as untrusted,
    ):
        answers = [(await flood.post("/v1/public/requests", json={})).status_code for _ in range(7)]
        assert answers == [422] * 6 + [429]  # counted before the body is read
        assert (await family.post("/v1/public/requests", json=request_body())).status_code == 201
        # Not through a trusted proxy: its header is not believed, its peer is counted.
        for n in range(7):
            spoofed = await untrusted.post(
                "/v1/public/requests", json={}, headers={"X-Forwarded-For": f"203.0.113.{100 + n}"}
            )
        assert spoofed.status_code == 429


async def test_a_body_over_the_limit_is_refused_before_it_is_read(
    public: httpx.AsyncClient,
) -> None:
    body = request_body()
    body["about_the_child"] = {"strengths": "x" * 300_000}
    refused = await public.post("/v1/public/requests", json=body)
    assert refused.status_code == 413


async def test_confirmed_through_its_link_it_is_a_referral_dated_the_day_received(
    public: httpx.AsyncClient, caseworker: httpx.AsyncClient, fetch: Query, owner_url: str
) -> None:
    made = await public.post("/v1/public/requests", json=request_body(track="ehc"))
    (kept,) = await fetch(
        "SELECT id FROM public_requests WHERE upper(left(id::text, 8)) = $1",
        made.json()["reference"],
    )
    request_id = str(kept["id"])
    # Received three weeks ago (its legal date), confirmed only today.
    received = london_today() - timedelta(days=21)
    await fetch("UPDATE public_requests SET received_on = $2 WHERE id = $1", kept["id"], received)
    wrong_audience = await public.post(
        "/v1/public/requests/confirm",
        json={"token": confirmation_link(request_id, audience="send-family-view")},
    )
    assert wrong_audience.status_code == 401  # a family link confirms nothing
    assert not await fetch("SELECT 1 FROM referrals WHERE id = $1", kept["id"])

    confirmed = await public.post(
        "/v1/public/requests/confirm", json={"token": confirmation_link(request_id)}
    )
    again = await public.post(
        "/v1/public/requests/confirm", json={"token": confirmation_link(request_id)}
    )

    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["received_on"] == str(received)
    assert again.status_code == 200
    referral = (await caseworker.get(f"/v1/referrals/{request_id}")).json()
    assert referral["received_on"] == str(received)
    assert referral["track"] == "ehc"
    decision = [d for d in referral["ehc"]["deadlines"] if d["kind"] == "decision"]
    assert decision[0]["due_on"] == str(received + timedelta(weeks=6))
    (row,) = await fetch("SELECT * FROM public_requests WHERE id = $1", kept["id"])
    assert (row["confirmed_by"], row["referral_id"], row["request"]) == ("link", kept["id"], None)
    topics = [t for t, _ in await outbox_events(owner_url, request_id)]
    assert topics.count("referrals.referral-received.v1") == 1  # confirmed twice, taken in once
    steps = [s["step"] for s in referral["timeline"]]
    assert "contact_confirmed" in steps


async def test_a_caseworker_lists_what_waits_and_confirms_it_by_phone(
    public: httpx.AsyncClient,
    caseworker: httpx.AsyncClient,
    app: FastAPI,
    identity: IdentityProvider,
    fetch: Query,
) -> None:
    made = await public.post("/v1/public/requests", json=request_body(track="support"))
    reference = made.json()["reference"]
    waiting = (await caseworker.get("/v1/public-requests", params={"limit": 200})).json()
    (item,) = [i for i in waiting["items"] if i["reference"] == reference]
    assert item["confirmed_at"] is None
    assert item["decision_due"] is None
    async with await signed_in(app, identity, "bradford-caseworker") as bradford:
        elsewhere = await bradford.post(
            f"/v1/public-requests/{item['id']}/confirm", json={"spoke_to": "contact"}
        )
        assert elsewhere.status_code == 404  # another council's: as if not there
        listed = (await bradford.get("/v1/public-requests", params={"limit": 200})).json()
        assert reference not in {i["reference"] for i in listed["items"]}

    confirmed = await caseworker.post(
        f"/v1/public-requests/{item['id']}/confirm", json={"spoke_to": "contact"}
    )
    twice = await caseworker.post(
        f"/v1/public-requests/{item['id']}/confirm", json={"spoke_to": "contact"}
    )

    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["confirmed_by"], confirmed.json()["referral_id"]) == (
        "phone",
        item["id"],
    )
    assert twice.status_code == 409
    (row,) = await fetch(
        "SELECT confirmed_by_subject FROM public_requests WHERE id = $1", UUID(item["id"])
    )
    assert row["confirmed_by_subject"] == "leeds-caseworker"
    referral = await caseworker.get(f"/v1/referrals/{item['id']}")
    assert referral.status_code == 200
    assert referral.json()["received_on"] == str(london_today())


async def test_a_request_for_a_child_with_an_open_referral_stays_for_a_caseworker(
    public: httpx.AsyncClient, caseworker: httpx.AsyncClient, fetch: Query
) -> None:
    body = request_body(track="support")
    first = await public.post("/v1/public/requests", json=body)
    second = await public.post("/v1/public/requests", json=body)
    ids = {}
    for made in (first, second):
        (row,) = await fetch(
            "SELECT id FROM public_requests WHERE upper(left(id::text, 8)) = $1",
            made.json()["reference"],
        )
        ids[made.json()["reference"]] = str(row["id"])
    first_id, second_id = ids[first.json()["reference"]], ids[second.json()["reference"]]
    first_confirmed = await public.post(
        "/v1/public/requests/confirm", json={"token": confirmation_link(first_id)}
    )
    assert first_confirmed.status_code == 200
    told = await public.post(
        "/v1/public/requests/confirm", json={"token": confirmation_link(second_id)}
    )
    assert told.status_code == 200  # the family is told it is confirmed (it is)
    (row,) = await fetch("SELECT * FROM public_requests WHERE id = $1", UUID(second_id))
    assert (row["not_taken_in"], str(row["clashes_with"])) == ("already-referred", first_id)
    assert row["referral_id"] is None
    by_phone = await caseworker.post(
        f"/v1/public-requests/{second_id}/confirm", json={"spoke_to": "contact"}
    )
    assert by_phone.status_code == 409
    assert first_id in by_phone.json()["detail"]


async def test_the_message_asking_to_confirm_is_not_a_referrals_step(
    app: FastAPI, public: httpx.AsyncClient, fetch: Query
) -> None:
    """Its "sent" and "delivered" come back before any referral exists: neither is a step on
    a timeline, and neither is dead-lettered as being about an unknown referral."""
    made = await public.post("/v1/public/requests", json=request_body())
    (kept,) = await fetch(
        "SELECT id FROM public_requests WHERE upper(left(id::text, 8)) = $1",
        made.json()["reference"],
    )
    about = {
        "referral_id": kept["id"],
        "notification_id": uuid4(),
        "channel": "email",
        "template": "confirm-request",
        "about_event_id": uuid4(),
    }
    sent = NotificationSent(**about)
    delivered = NotificationDelivered(**about, delivered_at=datetime.now(UTC))
    for event in (sent, delivered):
        caused = await handled(app, wrap(event, source="/tests/public", local_authority=LEEDS))
        assert caused == []
    assert not await fetch("SELECT 1 FROM timeline WHERE referral_id = $1", kept["id"])


async def test_retention_erases_a_request_not_taken_in_and_keeps_its_date(
    app: FastAPI, public: httpx.AsyncClient, fetch: Query
) -> None:
    """A request never confirmed holds the child's and contact's details: past the council's
    retention period they go, as a referral's do; its date and codes stay for the returns."""
    made = await public.post("/v1/public/requests", json=request_body(date_of_birth="2008-01-10"))
    (kept,) = await fetch(
        "SELECT id, received_on FROM public_requests WHERE upper(left(id::text, 8)) = $1",
        made.json()["reference"],
    )
    async with service_state(app).database.pool().acquire() as conn:  # the service's own role
        await erase_past_retention(
            service_state(app).work, conn, today=london_today(), years=125, by_council={LEEDS: 1}
        )
    (after,) = await fetch(
        "SELECT request, received_on, track FROM public_requests WHERE id = $1", kept["id"]
    )
    assert after["request"] is None
    assert (after["received_on"], after["track"]) == (kept["received_on"], "ehc")
    token = confirmation_link(str(kept["id"]))
    confirmed = await public.post("/v1/public/requests/confirm", json={"token": token})
    assert confirmed.status_code == 401  # nothing left to take in


async def test_with_every_slot_busy_a_request_is_refused_at_once_and_nothing_kept(
    app: FastAPI, public: httpx.AsyncClient, fetch: Query
) -> None:
    """The bulkhead: a flood holds every slot and fills the queue; the next request is
    answered 503 with Retry-After at once (the workspace sends it again), nothing kept."""
    intake = referrals_of(service_state(app).own).public_intake.others  # one lane here
    held = 0
    while not intake.slots.locked():
        await intake.slots.acquire()
        held += 1
    room, intake.queue_room = intake.queue_room, 0
    before = (await fetch("SELECT count(*) AS n FROM public_requests"))[0]["n"]
    try:
        refused = await public.post("/v1/public/requests", json=request_body())
    finally:
        intake.queue_room = room
        for _ in range(held):
            intake.slots.release()
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert (await fetch("SELECT count(*) AS n FROM public_requests"))[0]["n"] == before
    again = await public.post("/v1/public/requests", json=request_body())
    assert again.status_code == 201
