"""Notifications' handlers against real PostgreSQL: concurrent events about one family."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import asyncpg
import pytest
from notifications.domain import FamilyAlert, FamilyContact
from notifications.handlers import FamilyAlerts

from scripts.platform import fresh_database, migrations_of
from shared.events import EventEnvelope, FamilyContactRegistered, SpecialistAssigned
from tests.conftest import Infrastructure
from tests.integration.conftest import wait_for


class RecordingChannel:
    name = "recording"

    def __init__(self) -> None:
        self.sent: list[FamilyAlert] = []

    async def send(self, alert: FamilyAlert, contact: FamilyContact) -> None:
        self.sent.append(alert)


@pytest.fixture(scope="module")
async def notifications_url(infrastructure: Infrastructure) -> str:
    return await fresh_database(
        infrastructure.postgres_url,
        "notifications_test",
        "notifications",
        migrations_of("notifications"),
    )


@pytest.fixture
async def notifications_pool(notifications_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(notifications_url, min_size=2, max_size=4)
    yield pool
    await pool.close()


def _events() -> tuple[SpecialistAssigned, EventEnvelope, FamilyContactRegistered, EventEnvelope]:
    referral_id = uuid4()
    assigned = SpecialistAssigned(
        referral_id=referral_id,
        allocation_id=uuid4(),
        specialist_id=uuid4(),
        plan_id=uuid4(),
        specialism="speech_and_language_therapy",
        local_authority="E08000035",
        same_district=True,
    )
    contact = FamilyContactRegistered(
        referral_id=referral_id,
        contact_name="A Parent",
        email="a@example.org",
        preferred_channel="email",
    )
    wrap = EventEnvelope.wrap
    return (
        assigned, wrap(assigned, source="/t", local_authority="E08000035"),
        contact, wrap(contact, source="/t", local_authority="E08000035"),
    )  # fmt: skip


async def test_alert_stored_while_the_contact_is_being_saved_is_still_sent(
    notifications_pool: asyncpg.Pool,
) -> None:
    channel = RecordingChannel()
    alerts = FamilyAlerts(channel, tracking_url="https://x/{referral_id}", source="/t")
    assigned, assigned_env, contact, contact_env = _events()

    async def save_contact() -> None:
        async with notifications_pool.acquire() as conn, conn.transaction():
            await alerts.on_contact(conn, contact, contact_env)

    async with notifications_pool.acquire() as first:
        transaction = first.transaction()
        await transaction.start()
        await alerts.on_family_event(first, assigned, assigned_env)  # no contact yet: waits
        first_pid = first.get_server_pid()
        second = asyncio.create_task(save_contact())

        async def contact_side_ran_or_waits_for_us() -> bool:
            blocked = await notifications_pool.fetchval(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity"
                " WHERE $1 = ANY(pg_blocking_pids(pid)))",
                first_pid,
            )
            return second.done() or bool(blocked)

        await wait_for(contact_side_ran_or_waits_for_us, what="the contact transaction")
        await transaction.commit()
    await second

    assert [a.about_event_id for a in channel.sent] == [assigned_env.id]
    status = await notifications_pool.fetchval(
        "SELECT status FROM notifications WHERE about_event_id = $1", assigned_env.id
    )
    assert status == "sent"


async def test_alert_for_a_family_already_known_is_sent_at_once_and_only_once(
    notifications_pool: asyncpg.Pool,
) -> None:
    channel = RecordingChannel()
    alerts = FamilyAlerts(channel, tracking_url="https://x/{referral_id}", source="/t")
    assigned, assigned_env, contact, contact_env = _events()

    async def handle(
        event: FamilyContactRegistered | SpecialistAssigned, env: EventEnvelope
    ) -> None:
        async with notifications_pool.acquire() as conn, conn.transaction():
            if isinstance(event, FamilyContactRegistered):
                await alerts.on_contact(conn, event, env)
            else:
                await alerts.on_family_event(conn, event, env)

    await handle(contact, contact_env)
    await handle(assigned, assigned_env)
    await handle(assigned, assigned_env)  # the same event again

    assert len(channel.sent) == 1
    announced = await notifications_pool.fetchval(
        "SELECT count(*) FROM outbox WHERE key = $1 AND topic = $2",
        str(assigned.referral_id),
        "notifications.notification-sent.v1",
    )
    assert announced == 1
