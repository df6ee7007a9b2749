"""What a caseworker sees of a family's messages (what, when, channel, status; never the text or
the address), and the family's preferences changing what is sent."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from uuid import uuid4

import asyncpg
import httpx
import pytest
from notifications.app import create_app

from devtools.dev_identity import fetch_token
from devtools.local_notify import development_messaging, template_id
from scripts.platform import IdentityProvider
from shared.db import Database
from shared.events import SpecialistAssigned
from tests.app_state import with_state
from tests.integration.messaging import (
    COUNCIL,
    database,
    db,
    event_about,
    owner_url,
    referral,
    stack,
    statuses,
    until,
)

__all__ = ["database", "db", "owner_url"]  # fixtures


@pytest.fixture
async def api(
    database: Database, identity: IdentityProvider, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _api(database, identity, monkeypatch):
        yield client


async def _api(
    database: Database,
    identity: IdentityProvider,
    monkeypatch: pytest.MonkeyPatch,
    user: str = "leeds-caseworker",
) -> AsyncIterator[httpx.AsyncClient]:
    for name, value in identity.service_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("NOTIFICATIONS_DATABASE_URL", database.url)
    app = create_app()
    with_state(app, database=database)  # the test's, already open (no lifespan here)
    token = await fetch_token(identity.issuer, user)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        yield client


async def test_the_delivery_log_shows_each_message_and_channel_but_no_text_or_address(
    db: asyncpg.Pool, database: Database, api: httpx.AsyncClient
) -> None:
    async with stack(database) as s:
        family = await referral(database.pool(), phone="07700900002", preferred_channel="sms")

        async def delivered() -> bool:
            await s.send_due()
            return (await statuses(db, family.id))[0][1] == "delivered"

        await until(delivered, what="the fallback email")
    log = (await api.get(f"/v1/referrals/{family.id}/notifications")).json()
    [message] = log
    assert (message["template"], message["status"], message["channel"]) == (
        "request-received", "delivered", "email",
    )  # fmt: skip
    assert message["sent_at"] is not None
    assert message["delivered_at"] is not None
    assert [(a["channel"], a["provider"], a["status"]) for a in message["attempts"]] == [
        ("sms", "notify", "permanent-failure"),
        ("email", "notify", "delivered"),
    ]
    text = str(log)
    assert str(family.contact.email) not in text
    assert str(family.contact.phone) not in text
    assert "We received the request" not in text
    audit = await db.fetchval(
        "SELECT count(*) FROM audit_log WHERE referral_id = $1 AND resource = 'notifications'",
        family.id,
    )
    assert audit == 1


async def test_the_familys_contact_is_shown_to_the_council_only_and_each_read_audited(
    db: asyncpg.Pool,
    database: Database,
    api: httpx.AsyncClient,
    identity: IdentityProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = ["1 Park Row", "Leeds", "LS1 5AB"]
    family = await referral(database.pool(), preferred_channel="letter", address_lines=lines)
    path = f"/v1/referrals/{family.id}/contact"
    shown = await api.get(path)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert (body["name"], body["email"], body["phone"]) == (
        "Ann Parent", family.contact.email, "07700900123",
    )  # fmt: skip
    assert (body["address_lines"], body["preferred_channel"], body["erased"]) == (
        lines, "letter", False,
    )  # fmt: skip
    assert (await api.get(f"/v1/referrals/{uuid4()}/contact")).status_code == 404
    async for bradford in _api(database, identity, monkeypatch, "bradford-caseworker"):
        assert (await bradford.get(path)).status_code == 404
    reads = await db.fetchval(
        """SELECT count(*) FROM audit_log
           WHERE referral_id = $1 AND action = 'read' AND resource = 'family_contact'""",
        family.id,
    )
    assert reads == 1  # Bradford's 404 read nothing


async def test_a_family_who_opts_out_gets_no_more_non_statutory_messages(
    db: asyncpg.Pool, database: Database, api: httpx.AsyncClient
) -> None:
    async with stack(database) as s:
        family = await referral(database.pool())
        await s.send_due()
        chosen = await api.put(
            f"/v1/referrals/{family.id}/preferences",
            json={"statutory_only": True, "language": "en"},
        )
        assert chosen.status_code == 200
        assert chosen.json()["statutory_only"] is True
        assert chosen.json()["channel"] == "email"  # from the contact
        await event_about(database.pool(), family.id, SpecialistAssigned)
        await s.send_due()
    assert [m["name"] for m in s.notify.messages] == ["request-received"]
    log = (await api.get(f"/v1/referrals/{family.id}/notifications")).json()
    assert log[1]["status"] == "withheld"
    assert log[1]["note"] == "the family opted out of non-statutory messages"
    refused = await api.put(f"/v1/referrals/{family.id}/preferences", json={"channel": "fax"})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "channel"
    audit = await db.fetch(
        """SELECT actor, action, local_authority FROM audit_log
           WHERE referral_id = $1 AND resource = 'preferences'""",
        family.id,
    )
    assert [tuple(a) for a in audit] == [("leeds-caseworker", "update", COUNCIL)]  # not refused


async def test_a_family_may_choose_a_language_the_council_has_messages_in_and_no_other(
    db: asyncpg.Pool,
    database: Database,
    identity: IdentityProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    family = await referral(database.pool())
    path = f"/v1/referrals/{family.id}/preferences"
    # The default (the log channel, the project's own words): English only.
    async for api in _api(database, identity, monkeypatch):
        refused = await api.put(path, json={"language": "cy"})
        assert refused.status_code == 422, refused.text
        [problem] = refused.json()["detail"]
        assert problem["loc"] == ["body", "language"]
        assert "one of en" in problem["msg"]
    # A council with Welsh templates in Notify.
    messaging = development_messaging("http://127.0.0.1:9", "callback-token")
    welsh = {"email": {"request-received": template_id("request-received", "email", "cy")}}
    messaging["notify_templates"] = {**messaging["notify_templates"], "cy": welsh}
    monkeypatch.setenv("COUNCIL_MESSAGING", json.dumps({"*": messaging}))
    async for api in _api(database, identity, monkeypatch):
        chosen = await api.put(path, json={"language": "cy"})
        assert chosen.status_code == 200, chosen.text
        assert chosen.json()["language"] == "cy"
        refused = await api.put(path, json={"language": "fr"})
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["body", "language"]
        assert (await api.get(path)).json()["language"] == "cy"  # the refusal changed nothing
