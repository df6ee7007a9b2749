"""Statutory deadlines through the notifications handlers and a local GOV.UK Notify on real
PostgreSQL: a missed deadline is owned up to, to the family and to the council's SEND team; a
deadline at risk is for the team alone."""

from __future__ import annotations

import asyncpg

from shared.db import Database
from shared.events import DeadlineAtRisk, DeadlineMissed
from tests.integration.messaging import (
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

TEAM = "send-team@council.example"


async def _queued(db: asyncpg.Pool, referral_id: object) -> set[tuple[str, str]]:
    rows = await db.fetch(
        """SELECT template, audience FROM notifications
           WHERE referral_id = $1 AND template <> 'request-received'""",
        referral_id,
    )
    return {(r["template"], r["audience"]) for r in rows}


async def test_a_missed_deadline_tells_family_and_team_and_one_at_risk_only_the_team(
    db: asyncpg.Pool, database: Database
) -> None:
    async with stack(database, caseworker_email=TEAM) as s:
        missed = await referral(database.pool())
        await event_about(database.pool(), missed.id, DeadlineMissed)
        assert await _queued(db, missed.id) == {
            ("deadline-missed", "caseworker"),
            ("deadline-missed-family", "family"),
        }
        at_risk = await referral(database.pool())
        await event_about(database.pool(), at_risk.id, DeadlineAtRisk)
        assert await _queued(db, at_risk.id) == {("deadline-at-risk", "caseworker")}

        async def all_sent() -> bool:
            await s.send_due()
            rows = await statuses(db, missed.id) + await statuses(db, at_risk.id)
            return all(status in ("sent", "delivered") for _, status, _ in rows)

        await until(all_sent, what="every message sent")
    by_recipient = {(m["to"], m["name"]) for m in s.notify.messages}
    assert (TEAM, "deadline-missed") in by_recipient
    assert (missed.contact.email, "deadline-missed-family") in by_recipient
    assert (TEAM, "deadline-at-risk") in by_recipient
    assert not any(
        to == at_risk.contact.email and name.startswith("deadline") for to, name in by_recipient
    )
    [family] = [m for m in s.notify.messages if m["name"] == "deadline-missed-family"]
    assert "16 February 2026" in family["body"]
    assert "we have missed that deadline" in family["body"]
