"""Messages on the referral's timeline in referrals (real PostgreSQL, the application role):
a message to the family is "message sent", then "family notified" when it arrives; a message
to the council's SEND team (deadline at risk, a gap in the service) is the team's own step,
which the family view leaves out and the status ignores: the family was told nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI

from scripts.platform import IdentityProvider, migrations_of
from shared.events import DomainEvent, NotificationDelivered, NotificationSent, wrap
from tests.conftest import Databases
from tests.integration.plans_family import link
from tests.integration.referrals_app import (
    LEEDS,
    handled,
    referral_body,
    referrals_service,
    signed_in,
)


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("teamalerts", "referrals", migrations_of("referrals"))


@pytest.fixture(scope="module")
async def app(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    async with referrals_service(owner_url, identity) as running:
        yield running


@pytest.fixture
async def caseworker(app: FastAPI, identity: IdentityProvider) -> AsyncIterator[httpx.AsyncClient]:
    async with await signed_in(app, identity, "leeds-caseworker") as client:
        yield client


async def _consume(app: FastAPI, event: DomainEvent) -> None:
    """A delivery of ``event`` handled as referrals' consumer handles it."""
    await handled(app, wrap(event, source="/send-platform/notifications", local_authority=LEEDS))


async def _message(
    app: FastAPI, referral_id: UUID, template: str, audience: Literal["family", "caseworker"]
) -> None:
    """One message's two events, as notifications publishes them: sent, then delivered."""
    common: dict[str, Any] = {
        "referral_id": referral_id, "notification_id": uuid4(), "channel": "email",
        "template": template, "about_event_id": uuid4(), "audience": audience,
    }  # fmt: skip
    await _consume(app, NotificationSent(**common))
    await _consume(
        app,
        NotificationDelivered(**common, delivered_at=datetime.now(UTC)),
    )


async def _family_view(app: FastAPI, referral_id: UUID) -> dict[str, Any]:
    family = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    async with family:
        answer = await family.get(f"/v1/family/{link(referral_id)}")
    assert answer.status_code == 200, answer.text
    view: dict[str, Any] = answer.json()
    return view


async def test_a_message_to_the_team_is_the_teams_step_never_the_familys(
    app: FastAPI, caseworker: httpx.AsyncClient
) -> None:
    created = await caseworker.post("/v1/referrals", json=referral_body())
    assert created.status_code == 201, created.text
    referral_id = UUID(created.json()["id"])
    path = f"/v1/referrals/{referral_id}"
    before = await _family_view(app, referral_id)

    await _message(app, referral_id, "deadline-at-risk", "caseworker")

    view = (await caseworker.get(path)).json()
    steps = [(t["step"], t["detail"]) for t in view["timeline"]]
    assert ("team_alerted", "deadline-at-risk") in steps
    assert not {"message_sent", "family_notified"} & {s for s, _ in steps}
    assert view["status"] == "referral_received"
    after = await _family_view(app, referral_id)
    assert after["steps"] == before["steps"]  # nothing the family was not told
    assert not any("message" in s["what"].lower() for s in after["steps"])

    # A message to the family is still "message sent" and "family notified" on the
    # caseworker's timeline; the family's own view shows steps, and a message is not one.
    await _message(app, referral_id, "request-received", "family")
    view = (await caseworker.get(path)).json()
    names = [t["step"] for t in view["timeline"]]
    assert names.count("message_sent") == names.count("family_notified") == 1
    assert names.count("team_alerted") == 1
    assert view["status"] == "referral_received"
    told = await _family_view(app, referral_id)
    assert told["steps"] == before["steps"]
    assert told["local_authority"] == "E08000035"


async def test_an_event_from_before_the_audience_field_is_the_familys(
    app: FastAPI, caseworker: httpx.AsyncClient
) -> None:
    created = await caseworker.post("/v1/referrals", json=referral_body())
    referral_id = UUID(created.json()["id"])
    old = NotificationDelivered.model_validate(
        {
            "referral_id": str(referral_id), "notification_id": str(uuid4()),
            "channel": "sms", "template": "specialist-assigned",
            "about_event_id": str(uuid4()), "delivered_at": "2026-01-05T12:00:00Z",
        }
    )  # fmt: skip
    assert old.audience == "family"
    await _consume(app, old)
    view = (await caseworker.get(f"/v1/referrals/{referral_id}")).json()
    assert "family_notified" in [t["step"] for t in view["timeline"]]
