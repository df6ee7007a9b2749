"""The referrals service in-process against a fresh database of its own (real PostgreSQL,
the application role, row-level security), signed in through the development identity
provider, and events handed to its handlers as its consumer hands them (``handled``). No
Kafka: the events a request or a handler causes are read from its outbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import httpx
from fastapi import FastAPI
from referrals.app import create_app
from referrals.config import ReferralsSettings
from referrals.handlers import subscriptions

from devtools.dev_identity import fetch_token
from scripts.platform import IdentityProvider, service_url
from shared.events import DomainEvent, Envelope
from shared.migrations import owner_connection
from shared.state import service_state
from tests.handling import handle_as_service

LEEDS, BRADFORD = "E08000035", "E08000032"


@asynccontextmanager
async def referrals_service(
    owner_url: str, identity: IdentityProvider, **settings: Any
) -> AsyncIterator[FastAPI]:
    app = create_app(
        ReferralsSettings(
            database_url=service_url(owner_url),
            oidc_issuer=identity.issuer,
            rate_limit_post="100000/minute",
            **settings,
        )
    )
    await service_state(app).database.open()
    try:
        yield app
    finally:
        await service_state(app).database.close()


async def signed_in(app: FastAPI, identity: IdentityProvider, user: str) -> httpx.AsyncClient:
    token = await fetch_token(identity.issuer, user)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {token}"},
    )


def nhs_number(seed: int) -> str:
    """A valid NHS number of the England and Wales range, different for each seed."""
    for n in range(seed * 10, seed * 10 + 10):
        first = f"45{n:07d}"
        total = sum(int(d) * w for d, w in zip(first, range(10, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        if check != 10:
            return f"{first}{check}"
    raise AssertionError("no valid number near the seed")


def referral_body(
    *, track: str = "support", council: str = LEEDS, received_on: date | None = None, **child: Any
) -> dict[str, Any]:
    marker = uuid4().hex[:8]
    body: dict[str, Any] = {
        "local_authority": council,
        "track": track,
        "requested_by": "parent",
        "primary_need": "SLCN",
        "child": {
            "given_name": f"Given{marker}",
            "family_name": f"Family{marker}",
            "date_of_birth": "2019-05-01",
            "postcode": "LS6 2AB",
            **child,
        },
        "family_contact": {"name": "Ann Parent", "email": "ann@example.org"},
    }
    if received_on is not None:
        body["received_on"] = str(received_on)
    return body


async def outbox_events(owner_url: str, referral_id: UUID | str) -> list[tuple[str, Any]]:
    """The (topic, data) of every event stored for the referral, in order."""
    conn = await owner_connection(owner_url)
    try:
        rows = await conn.fetch(
            "SELECT topic, envelope FROM outbox WHERE key = $1 ORDER BY id", str(referral_id)
        )
    finally:
        await conn.close()
    return [(r["topic"], json.loads(r["envelope"])["data"]) for r in rows]


async def handled(app: FastAPI, message: Envelope[Any]) -> list[DomainEvent]:
    """``message`` handed to referrals' handler of its type as referrals' consumer hands it
    (``tests.handling``), on a connection of the app's pool; the events the handler returned
    (in the app's outbox with their audit rows)."""
    async with service_state(app).database.pool().acquire() as conn:
        state = service_state(app)
        return await handle_as_service(
            conn, subscriptions, message, service="referrals", outbox=state.outbox, own=state.own
        )
