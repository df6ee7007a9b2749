"""Others told of a step (#21) through the notifications handlers and a local GOV.UK Notify on
real PostgreSQL: the school, health's designated clinical officer and social care are each sent
the step at their own mailbox (the addresses on the event), and the family is sent nothing."""

from __future__ import annotations

import asyncpg

from shared.db import Database
from shared.events import OthersNotified
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


async def test_each_team_is_told_at_its_own_mailbox_and_the_family_hears_nothing(
    db: asyncpg.Pool, database: Database
) -> None:
    async with stack(database, caseworker_email=SEND_TEAM) as s:
        child = await referral(database.pool())
        told = sample_event(OthersNotified, child.id)
        assert isinstance(told, OthersNotified)
        await handle(database.pool(), told)
        kept = await db.fetch(
            "SELECT template, audience, team_email FROM notifications WHERE referral_id = $1"
            " AND template <> 'request-received' ORDER BY created_at",
            child.id,
        )
        mailboxes = {told.school_email, told.designated_clinical_officer_email,
                     told.social_care_email}  # fmt: skip
        assert {tuple(r) for r in kept} == {("others-notified", "team", m) for m in mailboxes}

        async def all_sent() -> bool:
            await s.send_due()
            rows = await statuses(db, child.id)
            return all(status in ("sent", "delivered") for _, status, _ in rows)

        await until(all_sent, what="every message sent")
    sent = [m for m in s.notify.messages if m["name"] == "others-notified"]
    assert {m["to"] for m in sent} == mailboxes
    for message in sent:
        assert "decided not to carry out an education, health and care" in message["body"]
        assert child.contact.email not in message["body"]
    assert not any(
        m["to"] == child.contact.email and m["name"] != "request-received"
        for m in s.notify.messages
    )
