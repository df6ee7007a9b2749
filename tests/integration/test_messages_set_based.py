"""A consumed batch's messages through the notifications handlers on real PostgreSQL (issue #25),
run as ``shared.consumption`` runs them (one transaction, the referrals' locks by
``referrals_locked``, ``shared.batches``' consumer): whether the families can be reached is
read once for the batch, its messages stored in one statement and what waited for a contact
or a request queued in one, however many events; and the messages, their statuses and their
audit rows are those the same events leave one at a time."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from asyncpg.connection import LoggedQuery
from notifications.handlers import subscriptions

from shared.batches import batch_consumer
from shared.db import Database
from shared.events import (
    AssessmentDecided,
    DomainEvent,
    Envelope,
    ReferralReceived,
    SpecialistAssigned,
    wrap,
)
from shared.referral_locks import referrals_locked
from tests.events import sample_event
from tests.handling import units_of_work
from tests.integration.messaging import (
    COUNCIL,
    OUTBOX,
    contact,
    database,
    db,
    handle,
    owner_url,
    referral,
)

__all__ = ["database", "db", "owner_url"]  # fixtures

_TYPES = re.compile(r"pg_catalog|pg_type|set_config\('jit'")
"""asyncpg's own look at a type, the first time a connection meets it: not the handlers'."""

EVENTS = (ReferralReceived, SpecialistAssigned, AssessmentDecided)
"""The family's acknowledgement, a specialist team's message and a decision to the family."""


def _messages(event: DomainEvent, *more: DomainEvent) -> list[Envelope[Any]]:
    return [wrap(e, source="/tests", local_authority=COUNCIL) for e in (event, *more)]


async def _batch(database: Database, messages: list[Envelope[Any]]) -> list[str]:
    """``messages`` (of one event class) consumed as one batch, as the service connects; the
    statements it made (its lock's included)."""
    (subscription,) = [s for s in subscriptions if s.event_class is type(messages[0].data)]
    consume = batch_consumer(subscription, units_of_work(OUTBOX), "notifications")
    statements: list[str] = []

    def logged(query: LoggedQuery) -> None:
        if not query.query.strip().startswith(("BEGIN", "COMMIT")) and not _TYPES.search(
            query.query
        ):
            statements.append(query.query)

    async with database.pool().acquire() as conn:
        conn.add_query_logger(logged)
        try:
            async with conn.transaction(), referrals_locked(conn, (m.subject for m in messages)):
                await consume(messages, conn)
        finally:
            conn.remove_query_logger(logged)
    return statements


async def _rows(db: asyncpg.Pool, referral_id: UUID) -> list[tuple[Any, ...]]:
    """The referral's messages as a family or team would tell them apart (not their ids)."""
    rows = await db.fetch(
        """SELECT template, status, audience, statutory, details::text, team_email, recipient,
                  trace_headers::text <> '{}' AS traced
           FROM notifications WHERE referral_id = $1
           ORDER BY occurred_at, template, audience, recipient""",
        referral_id,
    )
    return [tuple(r) for r in rows]


async def _audited(db: asyncpg.Pool, referral_id: UUID) -> int:
    return int(
        await db.fetchval(
            """SELECT count(*) FROM audit_log WHERE referral_id = $1 AND action = 'create'
                 AND resource = 'notification' AND actor = 'system:notifications'""",
            referral_id,
        )
    )


async def test_a_batchs_messages_are_a_few_statements_and_the_same_rows(
    database: Database, db: asyncpg.Pool
) -> None:
    # Two families reachable, one whose contact is not known yet: each once as a batch, and
    # a twin of each whose events are handled one at a time as before.
    batched = [(await referral(db)).id, (await referral(db)).id, uuid4()]
    alone = [(await referral(db)).id, (await referral(db)).id, uuid4()]
    for unknown in (batched[2], alone[2]):
        await handle(db, sample_event(ReferralReceived, unknown))  # its request, no contact
    for event_class in EVENTS[1:]:
        statements = await _batch(
            database, _messages(*(sample_event(event_class, r) for r in batched))
        )
        assert len([s for s in statements if "INTO notifications" in s]) == 1, statements
        assert len([s for s in statements if "FROM family_contacts" in s]) == 1, statements
        assert len(statements) <= 6, statements  # was 3 + two an event (a read, an insert)
        for referral_id in alone:
            await handle(db, sample_event(event_class, referral_id))
    for mine, twin in zip(batched, alone, strict=True):
        assert await _rows(db, mine) == await _rows(db, twin)
        assert await _audited(db, mine) == await _audited(db, twin) > 0
    statuses = {row[1] for row in await _rows(db, batched[2]) if row[2] == "family"}
    assert statuses == {"awaiting_contact"}  # no contact: the family's messages wait


async def test_a_batch_of_contacts_and_of_requests_queues_what_waited_at_its_end(
    database: Database, db: asyncpg.Pool
) -> None:
    batched, alone = [uuid4() for _ in range(3)], [uuid4() for _ in range(3)]
    for referral_id in batched + alone:  # a decision before the contact and the request
        await handle(db, sample_event(AssessmentDecided, referral_id))
    statements = await _batch(database, _messages(*(contact(r) for r in batched)))
    queueing = [s for s in statements if "SET status = 'queued'" in s]
    assert len(queueing) == 1, statements  # was one a contact
    assert len([s for s in statements if "INTO family_contacts" in s]) == 1, statements
    statements = await _batch(
        database, _messages(*(sample_event(ReferralReceived, r) for r in batched))
    )
    queueing = [s for s in statements if "SET status = 'queued'" in s]
    assert len(queueing) == 1, statements  # was one a request
    assert len([s for s in statements if "INTO requests" in s]) == 1, statements
    assert len([s for s in statements if "INTO notifications" in s]) == 1, statements
    assert len(statements) <= 8, statements  # was 2 + four an event
    for referral_id in alone:
        await handle(db, contact(referral_id))
        await handle(db, sample_event(ReferralReceived, referral_id))
    for mine, twin in zip(batched, alone, strict=True):
        rows = await _rows(db, mine)
        assert rows == await _rows(db, twin)
        assert {row[1] for row in rows} == {"queued"}  # the acknowledgement, and what waited
        assert await _audited(db, mine) == await _audited(db, twin) == len(rows)
        assert await _kept(db, mine) == await _kept(db, twin)


async def _kept(db: asyncpg.Pool, referral_id: UUID) -> tuple[Any, ...]:
    """The family's contact and request as kept (but the email, which names the referral)."""
    row = await db.fetchrow(
        """SELECT c.contact_name, c.phone, c.preferred_channel, c.address_lines,
                  c.local_authority, c.representative, r.local_authority, r.requested_by,
                  r.received_on
           FROM family_contacts c JOIN requests r USING (referral_id)
           WHERE referral_id = $1""",
        referral_id,
    )
    assert row is not None
    return tuple(row)


async def test_a_familys_two_contacts_in_a_batch_leave_the_last(
    database: Database, db: asyncpg.Pool
) -> None:
    referral_id = uuid4()
    first = contact(referral_id, contact_name="Ann Parent", address_lines=["1 Road", "Leeds"])
    last = contact(referral_id, contact_name="Bea Parent", phone=None, address_lines=[])
    await _batch(database, _messages(first, last))
    kept = await db.fetchrow(
        "SELECT contact_name, phone, address_lines FROM family_contacts WHERE referral_id = $1",
        referral_id,
    )
    assert kept is not None
    assert tuple(kept) == ("Bea Parent", None, [])


async def test_the_same_event_twice_in_a_batch_is_stored_and_audited_once(
    database: Database, db: asyncpg.Pool
) -> None:
    referral_id = (await referral(db)).id
    (message,) = _messages(sample_event(AssessmentDecided, referral_id))
    await _batch(database, [message, message])
    rows = await _rows(db, referral_id)
    assert len([r for r in rows if r[0] == rows[-1][0]]) == 1  # the decision's message, once
    assert await _audited(db, referral_id) == len(rows)


async def test_the_sender_is_woken_once_the_batch_commits(
    database: Database, db: asyncpg.Pool
) -> None:
    referral_id = (await referral(db)).id
    woken = asyncio.Event()

    def wake(*_: object) -> None:
        woken.set()

    async with db.acquire() as listener:
        await listener.add_listener("notifications_queued", wake)
        try:
            woken.clear()
            await _batch(database, _messages(sample_event(AssessmentDecided, referral_id)))
            await asyncio.wait_for(woken.wait(), timeout=10)  # the batch's queued message
        finally:
            await listener.remove_listener("notifications_queued", wake)
    assert {row[1] for row in await _rows(db, referral_id)} == {"queued"}
