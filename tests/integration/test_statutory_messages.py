"""Statutory deadlines through the notifications handlers and a local GOV.UK Notify on real
PostgreSQL: a missed deadline is owned up to, to the family and to the council's SEND team; a
deadline at risk is for the team, and for the family only where the council chooses it."""

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
        assert await _queued(db, at_risk.id) == {
            ("deadline-at-risk", "caseworker"),
            ("deadline-at-risk-family", "family"),  # withheld: this council does not choose it
        }

        async def all_settled() -> bool:  # sent, or withheld: the one asserted below too
            await s.send_due()
            rows = await statuses(db, missed.id) + await statuses(db, at_risk.id)
            return all(status in ("sent", "delivered", "withheld") for _, status, _ in rows)

        await until(all_settled, what="every message sent or withheld")
    by_recipient = {(m["to"], m["name"]) for m in s.notify.messages}
    assert (TEAM, "deadline-missed") in by_recipient
    assert (missed.contact.email, "deadline-missed-family") in by_recipient
    assert (TEAM, "deadline-at-risk") in by_recipient
    assert not any(
        to == at_risk.contact.email and name.startswith("deadline") for to, name in by_recipient
    )
    [family] = [m for m in s.notify.messages if m["name"] == "deadline-missed-family"]
    assert "16 February 2026" in family["body"]
    assert "That date is a time limit set by law" in family["body"]
    withheld = [st for t, st, _ in await statuses(db, at_risk.id) if t == "deadline-at-risk-family"]
    assert withheld == ["withheld"]


async def test_a_council_that_chooses_it_tells_the_family_of_a_deadline_at_risk_too(
    db: asyncpg.Pool, database: Database
) -> None:
    chosen = frozenset({"deadline-at-risk-family"})
    async with stack(database, caseworker_email=TEAM, optional_messages=chosen) as s:
        by_email = await referral(database.pool())
        by_text = await referral(database.pool(), preferred_channel="sms")
        for r in (by_email, by_text):
            await event_about(database.pool(), r.id, DeadlineAtRisk)

        async def all_sent() -> bool:
            await s.send_due()
            rows = await statuses(db, by_email.id) + await statuses(db, by_text.id)
            return all(status in ("sent", "delivered") for _, status, _ in rows)

        await until(all_sent, what="every message sent")
    told = {(m["to"], m["name"]): m for m in s.notify.messages}
    email = told[(by_email.contact.email, "deadline-at-risk-family")]
    assert "may not meet that date" in email["body"]
    assert "16 February 2026" in email["body"]  # the date that applies, the GOV.UK way
    text = told[(by_text.contact.phone, "deadline-at-risk-family")]
    assert "may be missed" in text["body"]
    assert "Ann" not in text["body"]  # no name on a lock screen
    assert (TEAM, "deadline-at-risk") in told  # the team is told as ever
