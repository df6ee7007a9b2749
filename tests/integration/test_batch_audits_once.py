"""A handler that audits only what it did not audit before (``shared.audit.audited``) sees the
audit rows of its own batch too, though they are written only at the batch's end
(``shared.pending_writes``): two erasures of one family's contact in one batch are audited
once, as one in two batches always was (real PostgreSQL)."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import asyncpg
import pytest
from notifications import handlers as notifications

from scripts.platform import migrations_of, service_url
from shared.batches import batch_consumer
from shared.events import ChildDetailsErased, Envelope, wrap
from shared.migrations import owner_connection
from shared.outbox import Outbox
from tests.conftest import Databases
from tests.handling import units_of_work

LEEDS = "E08000035"


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("batch-audits", "notifications", migrations_of("notifications"))


def _erased(referral_id: UUID) -> Envelope[ChildDetailsErased]:
    event = ChildDetailsErased(
        referral_id=referral_id, local_authority=LEEDS, erased_on=date(2057, 3, 14)
    )
    return wrap(event, source="/send-platform/referrals", local_authority=LEEDS)


async def test_two_erasures_of_one_family_in_one_batch_are_audited_once(owner_url: str) -> None:
    referral_id = uuid4()
    owner = await owner_connection(owner_url)
    try:
        await owner.execute(
            """INSERT INTO family_contacts (referral_id, contact_name, email, phone,
                   preferred_channel, local_authority, address_lines)
               VALUES ($1, 'Alex Example', 'alex@example.org', NULL, 'email', $2, '{}')""",
            referral_id,
            LEEDS,
        )
        (subscription,) = [
            s for s in notifications.subscriptions if s.event_class is ChildDetailsErased
        ]
        consume = batch_consumer(
            subscription, units_of_work(Outbox(source="/tests", declared=())), "notifications"
        )
        conn = await asyncpg.connect(service_url(owner_url))
        try:
            async with conn.transaction():
                await consume([_erased(referral_id), _erased(referral_id)], conn)  # one batch
        finally:
            await conn.close()
        audit = await owner.fetch(
            "SELECT actor, action, resource FROM audit_log WHERE referral_id = $1", referral_id
        )
        assert [tuple(a) for a in audit] == [("system:retention", "erase", "family_contact")]
    finally:
        await owner.close()
