"""A consumed batch's outbox and audit rows are written together (``shared.pending_writes``), on
a real database: one statement for every event's outbox rows and one for the audit rows, in
the batch's order, each event's rows continuing its own trace, and the audit rows of every
council in the batch written under row-level security."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from scripts.platform import migrations_of
from shared.batches import batch_consumer
from shared.db import Database
from shared.events import Envelope, FamilyLinksRevoked, ReferralClosed, wrap
from shared.migrations import owner_connection
from shared.outbox import Outbox
from shared.services import LOCAL_SERVICE_USER, with_user
from shared.subscriptions import Events, Subscription, Uow
from shared.telemetry import setup_tracing
from shared.unit_of_work import Work
from tests.conftest import Databases

LEEDS, BRADFORD = "E08000035", "E08000032"


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("batch-writes", "referrals", migrations_of("referrals"))


@pytest.fixture
async def work(owner_url: str) -> AsyncIterator[Work]:
    setup_tracing("tests")  # a recording provider: each event's rows carry its own trace
    database = Database(with_user(owner_url, LOCAL_SERVICE_USER, LOCAL_SERVICE_USER))
    await database.open()
    yield Work(database.pool, Outbox(source="/send-platform/referrals", declared=[ReferralClosed]))
    await database.close()


class CountingStatements:
    """The batch's connection, counting the statements that write the outbox and the audit
    trail (``executemany`` counts one a row: the server runs it once a row)."""

    def __init__(self, conn: Any) -> None:  # a pooled connection (its proxy)
        self._conn = conn
        self.writes: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def _count(self, sql: str, times: int = 1) -> None:
        for table in ("outbox", "audit_log"):
            if f"INSERT INTO {table} " in sql:
                self.writes.extend([table] * times)

    async def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self._count(sql)
        return await self._conn.execute(sql, *args, **kwargs)

    async def executemany(self, sql: str, rows: Any, **kwargs: Any) -> Any:
        rows = list(rows)
        self._count(sql, len(rows))
        return await self._conn.executemany(sql, rows, **kwargs)

    async def fetch(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self._count(sql)
        return await self._conn.fetch(sql, *args, **kwargs)


async def closing_with_an_audit(message: Envelope[FamilyLinksRevoked], uow: Uow) -> Events:
    """Two events and one audit row an event: more rows than events, in one batch."""
    revoked = message.data
    uow.changed("update", "family_links", referral_id=revoked.referral_id,
                local_authority=revoked.local_authority)  # fmt: skip
    return [
        ReferralClosed(
            referral_id=revoked.referral_id,
            local_authority=revoked.local_authority,
            reason=reason,
            closed_on=date(2026, 12, 1),
        )
        for reason in ("support_completed", "child_moved")
    ]


def _revoked(council: str) -> Envelope[FamilyLinksRevoked]:
    trace_id = uuid4().hex
    event = FamilyLinksRevoked(
        referral_id=uuid4(), local_authority=council, revoked_at=datetime.now(UTC), generation=1
    )
    return wrap(
        event, source="/tests", local_authority=council,
        trace={"traceparent": f"00-{trace_id}-{uuid4().hex[:16]}-01"},
    )  # fmt: skip


async def _rows(owner_url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await owner_connection(owner_url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def test_a_batchs_outbox_and_audit_rows_are_one_statement_each_in_the_batchs_order(
    work: Work, owner_url: str
) -> None:
    consume = batch_consumer(
        Subscription(FamilyLinksRevoked, closing_with_an_audit), work, "referrals"
    )
    batch = [_revoked(LEEDS), _revoked(BRADFORD), _revoked(LEEDS)]
    async with work.pool().acquire() as conn, conn.transaction():
        counting = CountingStatements(conn)
        await consume(batch, counting)

    assert counting.writes == ["outbox", "audit_log"]  # not two statements an event
    referral_ids = [str(m.subject) for m in batch]
    outbox = await _rows(
        owner_url,
        "SELECT key, envelope, headers FROM outbox WHERE key = ANY($1::text[]) ORDER BY id",
        referral_ids,
    )
    # The relay publishes in id order: the batch's order, each event's two in theirs.
    assert [r["key"] for r in outbox] == [k for k in referral_ids for _ in range(2)]
    assert [json.loads(r["envelope"])["data"]["reason"] for r in outbox] == [
        "support_completed", "child_moved"] * 3  # fmt: skip
    for row, message in zip(outbox, [m for m in batch for _ in range(2)], strict=True):
        stored = json.loads(row["headers"])["traceparent"]  # the event's own trace goes on
        assert message.traceparent is not None
        assert stored.split("-")[1] == message.traceparent.split("-")[1]
    audit = await _rows(
        owner_url,
        "SELECT actor, local_authority, referral_id FROM audit_log "
        "WHERE referral_id = ANY($1::uuid[]) AND resource = 'family_links' ORDER BY id",
        [UUID(r) for r in referral_ids],
    )
    assert [(r["actor"], r["local_authority"], str(r["referral_id"])) for r in audit] == [
        ("system:referrals", m.localauthority, str(m.subject)) for m in batch
    ]
