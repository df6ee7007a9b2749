"""Specialists' own messages through the notifications handlers and a local GOV.UK Notify on
real PostgreSQL: the team a child is allocated to is told at its own mailbox (the registry's
address on the event), never the council's SEND team's or the family's, with the link to a
practitioner's caseload; the family is told the first session's day."""

from __future__ import annotations

import json
from datetime import date

import asyncpg

from shared.db import Database
from shared.events import FirstSessionArranged, SpecialistAssigned
from tests.events import sample_event
from tests.integration.messaging import (
    database,
    db,
    handle,
    owner_url,
    referral,
    stack,
    statuses,
    until,
)

__all__ = ["database", "db", "owner_url"]  # fixtures

SEND_TEAM = "send-team@council.example"
SLT_TEAM = "slt.north@leeds.example.org"


async def test_the_team_allocated_is_told_at_its_address_and_the_family_of_the_first_session(
    db: asyncpg.Pool, database: Database
) -> None:
    async with stack(database, caseworker_email=SEND_TEAM) as s:
        child = await referral(database.pool())
        assigned = sample_event(SpecialistAssigned, child.id).model_copy(
            update={"team_email": SLT_TEAM}
        )
        await handle(database.pool(), assigned)
        arranged = sample_event(FirstSessionArranged, child.id).model_copy(
            update={"session_on": date(2027, 3, 8)}
        )
        await handle(database.pool(), arranged)
        kept = await db.fetch(
            "SELECT template, audience, team_email FROM notifications WHERE referral_id = $1"
            " AND template <> 'request-received' ORDER BY created_at",
            child.id,
        )
        assert {tuple(r) for r in kept} == {
            ("specialist-assigned", "family", None),
            ("child-allocated-to-team", "team", SLT_TEAM),
            ("first-session-arranged", "family", None),
        }

        async def all_sent() -> bool:
            await s.send_due()
            rows = await statuses(db, child.id)
            return all(status in ("sent", "delivered") for _, status, _ in rows)

        await until(all_sent, what="every message sent")
    told = {m["name"]: m for m in s.notify.messages if m["to"] in (SLT_TEAM, child.contact.email)}
    team = told["child-allocated-to-team"]
    assert team["to"] == SLT_TEAM
    assert "Please accept the allocation" in team["body"]
    assert not any(m["to"] == SEND_TEAM for m in s.notify.messages)
    first = told["first-session-arranged"]
    assert first["to"] == child.contact.email
    assert "8 March 2027" in first["body"]


async def test_only_the_familys_messages_are_announced_as_sent(
    db: asyncpg.Pool, database: Database
) -> None:
    """Referrals puts a family's message on the timeline when it is sent and a team's only
    when it is delivered: a team's message publishes no *notification sent* (no one acts on
    it: issue #25)."""
    async with stack(database, caseworker_email=SEND_TEAM) as s:
        child = await referral(database.pool())
        assigned = sample_event(SpecialistAssigned, child.id).model_copy(
            update={"team_email": SLT_TEAM}
        )
        await handle(database.pool(), assigned)

        async def all_sent() -> bool:
            await s.send_due()
            rows = await statuses(db, child.id)
            return all(status in ("sent", "delivered") for _, status, _ in rows)

        await until(all_sent, what="every message sent")
        went = {m["name"] for m in s.notify.messages if m["to"] in (SLT_TEAM, child.contact.email)}
        assert went == {"request-received", "specialist-assigned", "child-allocated-to-team"}
    announced = await db.fetch(
        "SELECT envelope->'data' AS data FROM outbox WHERE key = $1 AND topic LIKE $2",
        str(child.id),
        "%notification-sent%",
    )
    data = [json.loads(r["data"]) for r in announced]
    sent = sorted((d["template"], d["audience"]) for d in data)
    assert sent == [("request-received", "family"), ("specialist-assigned", "family")]
