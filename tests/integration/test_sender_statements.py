"""A sender's round records the messages a mail server took as delivered in a few statements
for them all, not two each (#25), on real PostgreSQL: a round of twelve families' messages runs
as many statements as a round of three, and a message's record of being sent (its attempt and
itself) and of being delivered are one statement each."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import asyncpg
from notifications.channels import Accepted, Outgoing, Remote
from notifications.config import NotificationsSettings
from notifications.domain import Channel
from notifications.providers import Councils
from notifications.sender import AlertSender

from shared.db import Database
from shared.unit_of_work import Work
from tests.integration.messaging import OUTBOX, announced, database, db, owner_url, referral

__all__ = ["database", "db", "owner_url"]  # fixtures


class MailServer:
    """A provider whose answer says delivered (as a mail server taking the message does)."""

    name = "log"
    limit_key: str | None = None
    rate_per_minute: int | None = None

    async def send(self, message: Outgoing) -> Accepted:
        return Accepted(provider_id=str(message.notification_id), delivered=True)

    async def find(self, notification_id: UUID, channel: Channel) -> Remote | None:
        return None

    async def status(self, provider_id: str) -> Remote | None:
        return None


async def test_a_round_of_messages_delivered_at_once_runs_the_same_statements_whatever_its_size(
    db: asyncpg.Pool, database: Database
) -> None:
    statements: list[str] = []

    async def counted(conn: asyncpg.Connection) -> None:
        conn.add_query_logger(lambda logged: statements.append(logged.query))

    councils = Councils(
        NotificationsSettings(database_url=database.url), overrides={"log": MailServer()}
    )
    sender = AlertSender(
        councils, link_for=lambda a, _: f"https://x/{a.referral_id}", database_url=database.url,
        lease=timedelta(seconds=60),
    )  # fmt: skip
    pool = await asyncpg.create_pool(database.url, min_size=0, max_size=1, init=counted)
    work = Work(lambda: pool, OUTBOX)
    counts, referrals = [], []
    try:
        for n in (1, 3, 12):  # the first: asyncpg learns the types
            referrals += [await referral(database.pool()) for _ in range(n)]
            statements.clear()
            assert await sender.send_due(work) == n
            counts.append(len(statements))
    finally:
        await pool.close()
    assert counts[1] == counts[2], counts  # two statements more a message before
    for r in referrals:
        assert await announced(db, r.id) == ["notification-sent", "notification-delivered"]


async def test_a_lone_message_delivered_at_once_is_recorded_in_fewer_statements(
    db: asyncpg.Pool, database: Database
) -> None:
    """At 50 referrals/s a round holds one or two messages: the record of each sent (attempt
    and message) is one statement, and so is its delivery (#25: two each before)."""
    statements: list[str] = []

    async def counted(conn: asyncpg.Connection) -> None:
        conn.add_query_logger(lambda logged: statements.append(logged.query))

    councils = Councils(
        NotificationsSettings(database_url=database.url), overrides={"log": MailServer()}
    )
    sender = AlertSender(
        councils, link_for=lambda a, _: f"https://x/{a.referral_id}", database_url=database.url,
        lease=timedelta(seconds=60),
    )  # fmt: skip
    pool = await asyncpg.create_pool(database.url, min_size=0, max_size=1, init=counted)
    work = Work(lambda: pool, OUTBOX)
    try:
        first = await referral(database.pool())
        assert await sender.send_due(work) == 1  # asyncpg learns the types
        second = await referral(database.pool())
        statements.clear()
        assert await sender.send_due(work) == 1
    finally:
        await pool.close()
    # The claim, the attempt started, then the record: 29 before.
    assert len(statements) <= 27, statements
    for r in (first, second):
        assert await announced(db, r.id) == ["notification-sent", "notification-delivered"]
