"""An annual review's limit at risk, or missed, tells the council's SEND team (#22), through
the notifications handlers and a local GOV.UK Notify on real PostgreSQL: one email to the team's
mailbox for each warning, even when the event comes twice (a redelivery), with the referral's
reference, the limit and its day and nothing about the child; the family is sent nothing."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import asyncpg

from shared.db import Database
from shared.events import (
    AnnualReviewDeadlineAtRisk,
    AnnualReviewDeadlineMissed,
    Envelope,
    wrap,
)
from tests.integration.messaging import (
    COUNCIL,
    database,
    db,
    handled,
    owner_url,
    referral,
    stack,
    statuses,
    until,
)

__all__ = ["database", "db", "owner_url"]  # fixtures

SEND_TEAM = "send-team@council.example"


async def test_an_at_risk_review_limit_sends_the_send_team_exactly_one_email(
    db: asyncpg.Pool, database: Database
) -> None:
    async with stack(database, caseworker_email=SEND_TEAM) as s:
        child = await referral(database.pool())
        warned = AnnualReviewDeadlineAtRisk(
            referral_id=child.id, local_authority=COUNCIL, review_id=uuid4(),
            deadline="review_meeting", due_on=date(2027, 3, 1), days_left=14,
        )  # fmt: skip
        message: Envelope[AnnualReviewDeadlineAtRisk] = wrap(
            warned, source="/tests", local_authority=COUNCIL
        )
        for _ in range(2):  # delivered twice: handled once
            async with database.pool().acquire() as conn:
                await handled(conn, message)
        kept = await db.fetch(
            "SELECT template, audience FROM notifications WHERE referral_id = $1"
            " AND template <> 'request-received'",
            child.id,
        )
        assert [tuple(r) for r in kept] == [("annual-review-limit-at-risk", "caseworker")]

        async def sent() -> bool:
            await s.send_due()
            return all(st in ("sent", "delivered") for _, st, _ in await statuses(db, child.id))

        await until(sent, what="the team's email sent")
    emails = [m for m in s.notify.messages if m["name"] == "annual-review-limit-at-risk"]
    assert len(emails) == 1
    (email,) = emails
    assert email["to"] == SEND_TEAM
    assert "1 March 2027" in email["body"]
    assert "annual review meeting" in email["body"]
    assert "Days left: 14" in email["body"]
    assert child.contact.contact_name not in email["body"]
    assert not any(
        m["to"] == child.contact.email and m["name"] != "request-received"
        for m in s.notify.messages
    )


async def test_a_missed_review_limit_sends_the_send_team_one_email(
    db: asyncpg.Pool, database: Database
) -> None:
    async with stack(database, caseworker_email=SEND_TEAM) as s:
        child = await referral(database.pool())
        missed = AnnualReviewDeadlineMissed(
            referral_id=child.id, local_authority=COUNCIL, review_id=uuid4(),
            deadline="review_decision", due_on=date(2027, 4, 2),
        )  # fmt: skip
        async with database.pool().acquire() as conn:
            await handled(conn, wrap(missed, source="/tests", local_authority=COUNCIL))

        async def sent() -> bool:
            await s.send_due()
            return all(st in ("sent", "delivered") for _, st, _ in await statuses(db, child.id))

        await until(sent, what="the team's email sent")
    (email,) = [m for m in s.notify.messages if m["name"] == "annual-review-limit-missed"]
    assert email["to"] == SEND_TEAM
    assert "2 April 2027" in email["body"]
    assert "has passed" in email["body"]
