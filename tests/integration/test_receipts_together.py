"""Delivery receipts that arrive together are committed in one transaction (a group commit,
``notifications.receipt_batches``), on real PostgreSQL: each answered only once committed, each
reaching only its token's councils, an unknown message still ignored, and one that fails never
failing the others."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from notifications import deliveries
from notifications.channels import Remote
from notifications.receipt_batches import ReceiptBatches
from notifications.receipts import Receipt

from shared.councils import ALL
from shared.db import Database
from shared.unit_of_work import Work
from tests.integration.messaging import (
    CALLBACK_TOKEN,
    COUNCIL,
    OUTBOX,
    announced,
    database,
    db,
    owner_url,
    receipts_app,
    referral,
    serving,
    stack,
    until,
)

__all__ = ["database", "db", "owner_url"]  # fixtures

PATH = "/v1/notify/receipts"
OTHER_COUNCIL = "E09000001"


def posted(message: dict[str, Any], reference: str | None = None) -> dict[str, Any]:
    """Notify's receipt saying ``message`` was delivered."""
    return {"id": message["id"], "reference": reference or message["reference"],
            "to": message["to"], "status": "delivered", "notification_type": "email"}  # fmt: skip


def delivered(message: dict[str, Any], councils: tuple[str, ...] | str = ALL) -> Receipt:
    return Receipt(
        UUID(message["reference"]), "email", Remote(message["id"], "delivered"),
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


def blocking(db: asyncpg.Pool, pid: int) -> Callable[[], Awaitable[bool]]:
    """Whether a session waits for a lock the session ``pid`` holds."""

    async def blocks() -> bool:
        return bool(
            await db.fetchval(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity"
                " WHERE $1 = ANY(pg_blocking_pids(pid)))",
                pid,
            )
        )

    return blocks


async def status_of(db: asyncpg.Pool, message: dict[str, Any]) -> str:
    status: str = await db.fetchval(
        "SELECT status FROM notifications WHERE id = $1", UUID(message["reference"])
    )
    return status


async def test_receipts_arriving_together_are_committed_in_one_transaction_before_the_204(
    db: asyncpg.Pool, database: Database
) -> None:
    messages = await sent_to_families(database, 6)
    first, *rest = messages
    batches = ReceiptBatches(at_once=1)  # the others wait for the first unit of work
    bearer = {"Authorization": f"Bearer {CALLBACK_TOKEN}"}
    async with (
        serving(receipts_app(database, batches)) as url,
        httpx.AsyncClient(base_url=url, headers=bearer, timeout=30) as client,
    ):
        async with db.acquire() as holder, holder.transaction():
            # The first receipt's unit of work waits on this lock while the others arrive.
            await holder.execute(
                "SELECT id FROM notifications WHERE id = $1 FOR UPDATE", UUID(first["reference"])
            )
            alone = asyncio.create_task(client.post(PATH, json=posted(first)))
            the_first_waits = blocking(db, holder.get_server_pid())
            await until(the_first_waits, what="the first receipt's unit of work")
            unknown = posted(first, reference=str(uuid4()))  # not a message of ours
            together = [
                asyncio.create_task(client.post(PATH, json=r))
                for r in [*map(posted, rest), unknown]
            ]

            async def all_waiting() -> bool:
                return batches.waiting == len(together)

            await until(all_waiting, what="the other receipts to wait")
            assert not alone.done()  # no 204 before its commit
            assert await db.fetchval(
                "SELECT count(*) FROM notifications WHERE status = 'delivered'"
            ) == 0  # fmt: skip
        answers = await asyncio.gather(alone, *together)
    assert [a.status_code for a in answers] == [204] * (len(messages) + 1)
    xmins = {
        r["id"]: r["xmin"]
        for r in await db.fetch(
            "SELECT id, xmin::text AS xmin, status FROM notifications WHERE status = 'delivered'"
        )
    }
    assert set(xmins) == {UUID(m["reference"]) for m in messages}  # every one delivered
    together_xmins = {xmins[UUID(m["reference"])] for m in rest}
    assert len(together_xmins) == 1  # the five in one transaction
    assert xmins[UUID(first["reference"])] not in together_xmins
    assert batches.commits == 2
    for m in messages:
        referral_id = await db.fetchval(
            "SELECT referral_id FROM notifications WHERE id = $1", UUID(m["reference"])
        )
        assert await announced(db, referral_id) == ["notification-sent", "notification-delivered"]


async def test_a_receipt_that_fails_does_not_fail_those_that_came_with_it(
    db: asyncpg.Pool, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages = await sent_to_families(database, 4)
    bad = UUID(messages[0]["reference"])
    applied = deliveries.receipts

    async def receipts(conn: Any, given: list[deliveries.Status]) -> Any:
        found = await applied(conn, given)  # their changes made, then a bug
        if bad in {s.notification_id for s in given}:
            raise RuntimeError("a bug in one receipt")
        return found

    monkeypatch.setattr(deliveries, "receipts", receipts)
    batches = ReceiptBatches()
    work = Work(database.pool, OUTBOX)
    outcomes = await asyncio.gather(
        *(batches.record(work, delivered(m)) for m in messages), return_exceptions=True
    )
    assert isinstance(outcomes[0], RuntimeError)  # its request answered 500: Notify retries
    assert outcomes[1:] == [True, True, True]
    assert batches.commits == 3  # the batch rolled back, then each alone
    assert await status_of(db, messages[0]) == "sent"  # nothing of the failed one kept
    assert [await status_of(db, m) for m in messages[1:]] == ["delivered"] * 3


async def test_in_one_transaction_each_receipt_reaches_only_its_tokens_councils(
    db: asyncpg.Pool, database: Database
) -> None:
    theirs, ours = await sent_to_families(database, 2)  # both messages are COUNCIL's
    unknown = delivered(ours)
    unknown = Receipt(uuid4(), "email", unknown.remote, unknown.at, unknown.councils)
    batches = ReceiptBatches()
    work = Work(database.pool, OUTBOX)
    outcomes = await asyncio.gather(
        batches.record(work, delivered(theirs, (OTHER_COUNCIL,))),  # another council's token
        batches.record(work, delivered(ours, (COUNCIL,))),
        batches.record(work, unknown),
    )
    assert list(outcomes) == [False, True, False]
    assert batches.commits == 1
    assert await status_of(db, theirs) == "sent"
    assert await status_of(db, ours) == "delivered"


async def test_a_receipt_is_not_held_back_by_a_unit_of_work_still_waiting(
    db: asyncpg.Pool, database: Database
) -> None:
    waiting, other = await sent_to_families(database, 2)
    batches = ReceiptBatches(at_once=2)
    work = Work(database.pool, OUTBOX)
    async with db.acquire() as holder, holder.transaction():
        await holder.execute(
            "SELECT id FROM notifications WHERE id = $1 FOR UPDATE", UUID(waiting["reference"])
        )
        held = asyncio.create_task(batches.record(work, delivered(waiting)))
        await until(blocking(db, holder.get_server_pid()), what="the first unit of work")
        beside = batches.record(work, delivered(other))
        assert await asyncio.wait_for(beside, timeout=10)  # committed beside it
        assert not held.done()
    assert await held
    assert batches.commits == 2
    assert [await status_of(db, m) for m in (waiting, other)] == ["delivered", "delivered"]
