"""A batch of delivery receipts costs a few statements, not five each (#25), on real PostgreSQL:
their messages locked in one statement, then set-based updates; and a batch mixing known,
unknown, duplicate, early and stale receipts ends exactly as if each had come alone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from notifications.channels import Remote
from notifications.domain import Channel
from notifications.receipt_batches import ReceiptBatches
from notifications.receipts import Receipt

from shared.councils import ALL
from shared.db import Database
from shared.unit_of_work import Work
from tests.integration.messaging import (
    COUNCIL,
    OUTBOX,
    announced,
    database,
    db,
    owner_url,
    referral,
    stack,
)

__all__ = ["database", "db", "owner_url"]  # fixtures

OTHER_COUNCIL = "E09000001"


def said(
    message: dict[str, Any],
    status: str = "delivered",
    channel: Channel = "email",
    councils: tuple[str, ...] | str = ALL,
) -> Receipt:
    """Notify's receipt giving ``message`` the ``status`` on ``channel``."""
    return Receipt(
        UUID(message["reference"]), channel, Remote(message["id"], status),
        datetime.now(UTC), councils,
    )  # fmt: skip


async def sent_to_families(database: Database, n: int) -> list[dict[str, Any]]:
    """``n`` families' messages sent through the local Notify, their receipts not posted."""
    async with stack(database) as s:
        s.notify.callbacks = False
        for _ in range(n):
            await referral(database.pool())
        assert await s.send_due() == n
        return list(s.notify.messages)


async def together(work: Work, receipts: list[Receipt]) -> list[bool]:
    """``receipts`` committed in one unit of work."""
    batches = ReceiptBatches(at_once=1)
    found = await asyncio.gather(*(batches.record(work, r) for r in receipts))
    assert batches.commits == 1
    return list(found)


async def test_a_batch_of_receipts_runs_a_few_statements_whatever_its_size(
    db: asyncpg.Pool, database: Database
) -> None:
    messages = await sent_to_families(database, 20)
    statements: list[str] = []

    async def counted(conn: asyncpg.Connection) -> None:
        conn.add_query_logger(lambda logged: statements.append(logged.query))

    pool = await asyncpg.create_pool(database.url, min_size=0, max_size=1, init=counted)
    try:
        work = Work(lambda: pool, OUTBOX)
        first, *rest = messages
        assert await together(work, [said(first)]) == [True]  # asyncpg learns the types
        statements.clear()
        found = await together(work, [said(m) for m in rest])
    finally:
        await pool.close()
    assert found == [True] * 19
    # BEGIN, acting for the councils, the lock, the attempts, two updates, the outbox, COMMIT,
    # the pool's reset: where one receipt after another ran four each (over 80).
    assert len(statements) <= 10, statements
    statuses = await db.fetch("SELECT DISTINCT status FROM notifications")
    assert [r["status"] for r in statuses] == ["delivered"]


async def test_a_lone_receipt_runs_seven_statements(db: asyncpg.Pool, database: Database) -> None:
    """At 50 referrals/s a batch holds one or two receipts: its statements are most of its
    CPU (#25). The messages and their attempts read in the statement that locks them, and
    each status's updates of attempt and message in one: nine before."""
    first, second = await sent_to_families(database, 2)
    statements: list[str] = []

    async def counted(conn: asyncpg.Connection) -> None:
        conn.add_query_logger(lambda logged: statements.append(logged.query))

    pool = await asyncpg.create_pool(database.url, min_size=0, max_size=1, init=counted)
    try:
        work = Work(lambda: pool, OUTBOX)
        assert await together(work, [said(first)]) == [True]  # asyncpg learns the types
        statements.clear()
        assert await together(work, [said(second)]) == [True]
    finally:
        await pool.close()
    # BEGIN, acting for the councils, the lock (with the attempts), the update, the outbox,
    # COMMIT, the pool's reset.
    assert len(statements) <= 7, statements
    row = await db.fetchrow(
        "SELECT n.status, a.status AS attempt, n.referral_id FROM notifications n"
        " JOIN delivery_attempts a ON a.notification_id = n.id WHERE n.id = $1",
        UUID(second["reference"]),
    )
    assert row is not None
    assert (row["status"], row["attempt"]) == ("delivered", "delivered")
    assert (await announced(db, row["referral_id"]))[-1] == "notification-delivered"


async def test_one_councils_token_runs_no_statements_to_find_its_messages(
    db: asyncpg.Pool, database: Database
) -> None:
    """A council's own callback token (one a council, as councils set them in Notify): acting
    for its councils, row-level security hides another's messages as it does for a receipt
    alone, with no statements to find which are visible first (three a batch before, #25)."""
    first, second, third = await sent_to_families(database, 3)
    statements: list[str] = []

    async def counted(conn: asyncpg.Connection) -> None:
        conn.add_query_logger(lambda logged: statements.append(logged.query))

    pool = await asyncpg.create_pool(database.url, min_size=0, max_size=1, init=counted)
    try:
        work = Work(lambda: pool, OUTBOX)
        assert await together(work, [said(first, councils=(COUNCIL,))]) == [True]
        statements.clear()
        assert await together(work, [said(second, councils=(COUNCIL,))]) == [True]
        counted_statements = list(statements)
        # Another council's token: its receipt reaches nothing here.
        assert await together(work, [said(third, councils=(OTHER_COUNCIL,))]) == [False]
    finally:
        await pool.close()
    assert len(counted_statements) <= 7, counted_statements  # ten before
    status = "SELECT status FROM notifications WHERE id = $1"
    assert await db.fetchval(status, UUID(second["reference"])) == "delivered"
    assert await db.fetchval(status, UUID(third["reference"])) == "sent"


async def test_mixed_receipts_in_one_batch_end_as_if_each_came_alone(
    db: asyncpg.Pool, database: Database
) -> None:
    names = ("early", "twice", "wrong_channel", "failed", "stale", "failed_then_delivered",
             "others")  # fmt: skip
    messages = dict(zip(names, await sent_to_families(database, len(names)), strict=True))
    ids = {name: UUID(m["reference"]) for name, m in messages.items()}
    work = Work(database.pool, OUTBOX)
    assert await together(work, [said(messages["stale"])]) == [True]
    # Notify's receipt came before the sender recorded the message as sent.
    await db.execute("UPDATE notifications SET status = 'sending' WHERE id = $1", ids["early"])
    await db.execute(
        "UPDATE delivery_attempts SET status = 'sending', provider_id = NULL"
        " WHERE notification_id = $1",
        ids["early"],
    )
    await db.execute("DELETE FROM outbox")
    m = messages
    unknown = said(m["twice"])
    unknown = Receipt(uuid4(), "email", unknown.remote, unknown.at, ALL)
    batch = [
        said(m["early"]),
        said(m["twice"]),
        unknown,
        said(m["twice"]),
        said(m["wrong_channel"], channel="sms"),  # no attempt on that channel
        said(m["failed"], "temporary-failure"),
        said(m["stale"], "permanent-failure"),  # after its delivery: changes nothing
        said(m["failed_then_delivered"], "temporary-failure"),
        said(m["failed_then_delivered"]),
        said(m["others"], councils=(OTHER_COUNCIL,)),  # another council's token
    ]
    found = await together(work, batch)
    assert found == [True, True, False, True, False, True, True, True, True, False]

    async def state(name: str) -> tuple[str, str, list[str]]:
        row = await db.fetchrow(
            """SELECT n.status, a.status AS attempt, n.referral_id FROM notifications n
               JOIN delivery_attempts a ON a.notification_id = n.id WHERE n.id = $1""",
            ids[name],
        )
        assert row is not None
        return row["status"], row["attempt"], await announced(db, row["referral_id"])

    delivered = ("delivered", "delivered", ["notification-delivered"])
    assert await state("early") == (
        "delivered", "delivered", ["notification-sent", "notification-delivered"]
    )  # fmt: skip
    assert await state("twice") == delivered  # told once
    assert await state("wrong_channel") == ("sent", "sent", [])
    assert await state("failed") == ("queued", "temporary-failure", [])
    assert await state("stale") == ("delivered", "delivered", [])
    assert await state("failed_then_delivered") == delivered
    assert await state("others") == ("sent", "sent", [])
    provider_id = await db.fetchval(
        "SELECT provider_id FROM delivery_attempts WHERE notification_id = $1", ids["early"]
    )
    assert provider_id == m["early"]["id"]  # recorded from the receipt
