"""The notifications service's locks on its messages, on a new database's statistics (issue
#25): the sender locks each round's messages and the receipts lock theirs, by id, and a plan
made while the table was still empty and never analysed (a pooled connection's generic plan
after its fifth run, or a custom plan before autovacuum's first visit) read every message for
each lock: the service's costliest statement in the bench's first minutes. On real PostgreSQL,
each lock is planned on the just-migrated empty table, the table then filled (400 messages),
and the plan run: it reads the rows it locks, not the table."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from notifications import deliveries

from scripts.platform import migrations_of
from shared.councils import act_for
from tests.conftest import Databases

LEEDS = "E08000035"
MESSAGES = 400
LOCKED = 16  # a round's or a receipts batch's messages

_PREPARED = {"lock": deliveries.LOCK, "receipts_lock": deliveries.RECEIPTS_LOCK}


@pytest.fixture(scope="module")
async def planned_early(databases: Databases) -> AsyncIterator[asyncpg.Connection]:
    """A connection whose two locks' generic plans were made on the empty table, which was
    then filled and never analysed."""
    url = await databases.fresh("freshlocks", "notifications", migrations_of("notifications"))
    conn = await asyncpg.connect(url)
    try:
        await act_for(conn, [LEEDS], local=False)
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        for name, sql in _PREPARED.items():
            await conn.execute(f"PREPARE {name} (uuid[]) AS {sql}")
            await conn.execute(f"EXPLAIN EXECUTE {name} (ARRAY[gen_random_uuid()])")
        await conn.execute(
            """INSERT INTO notifications (id, referral_id, about_event_id, local_authority,
                   template, status, occurred_at)
               SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), $1,
                      'referral_received', 'queued', now()
               FROM generate_series(1, $2)""",
            LEEDS,
            MESSAGES,
        )
        await conn.execute(  # two channels tried for each: the receipts' lock reads them too
            """INSERT INTO delivery_attempts (notification_id, channel, provider,
                   local_authority, status, started_at)
               SELECT id, c.channel, 'notify', $1, 'sent', now()
               FROM notifications CROSS JOIN (VALUES ('email'), ('sms')) AS c (channel)""",
            LEEDS,
        )
        yield conn
    finally:
        await conn.close()


def _rows_read(plan: dict[str, Any], relation: str) -> int:
    """Rows the plan's nodes on ``relation`` returned or filtered away, over all their loops."""
    own = 0
    if plan.get("Relation Name") == relation:
        loops = plan.get("Actual Loops", 1)
        own = (plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)) * loops
    return own + sum(_rows_read(child, relation) for child in plan.get("Plans", []))


@pytest.mark.parametrize("name", sorted(_PREPARED))
@pytest.mark.parametrize("custom", [False, True], ids=["generic plan", "custom plan"])
async def test_a_lock_reads_only_the_messages_it_locks(
    planned_early: asyncpg.Connection, name: str, custom: bool
) -> None:
    ids = [
        r["id"]
        for r in await planned_early.fetch(
            "SELECT id FROM notifications ORDER BY id LIMIT $1", LOCKED
        )
    ]
    listed = ", ".join(f"'{i}'" for i in ids)
    transaction = planned_early.transaction()
    await transaction.start()
    try:
        if custom:
            await planned_early.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        explained = await planned_early.fetchval(
            f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE {name} (ARRAY[{listed}]::uuid[])"
        )
    finally:
        await transaction.rollback()
    plan: dict[str, Any] = json.loads(explained)[0]["Plan"]
    assert plan["Actual Rows"] == LOCKED, json.dumps(plan, indent=1)  # each locked
    assert _rows_read(plan, "notifications") == LOCKED, json.dumps(plan, indent=1)
    # Only the locked messages' attempts (the receipts' lock reads them with the messages).
    assert _rows_read(plan, "delivery_attempts") <= 2 * LOCKED, json.dumps(plan, indent=1)


async def test_the_locks_come_in_the_order_of_the_ids_given(
    planned_early: asyncpg.Connection,
) -> None:
    ids = sorted(
        r["id"] for r in await planned_early.fetch("SELECT id FROM notifications LIMIT $1", LOCKED)
    )
    async with planned_early.transaction():
        rows = await planned_early.fetch(deliveries.RECEIPTS_LOCK, ids)
        locked = await planned_early.fetch(deliveries.LOCK, ids)
    assert [r["id"] for r in rows] == ids
    assert [r["id"] for r in locked] == ids
