"""Notifications against real PostgreSQL: alerts queued by the handlers, sent after commit,
each exactly once, whatever happens between the send and its record."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
from notifications import deliveries, repository
from notifications.channels import Accepted, Outgoing, Provider, Remote
from notifications.config import CouncilMessaging, NotificationsSettings
from notifications.domain import Channel
from notifications.providers import Councils
from notifications.sender import AlertSender

from scripts.platform import migrations_of
from shared.councils import ALL, act_for
from shared.events import (
    Envelope,
    FamilyContactRegistered,
    FamilyLinksRevoked,
    NotificationDelivered,
    NotificationSent,
    ReferralReceived,
    SpecialistAssigned,
    wrap,
)
from shared.migrations import OWNER_SERVER_SETTINGS, owner_connection
from shared.outbox import Outbox
from shared.unit_of_work import Work
from tests.conftest import Databases
from tests.events import sample_event
from tests.integration.conftest import wait_for
from tests.integration.messaging import handled


class RecordingChannel:
    """A message provider that keeps what it was handed, by reference (the message id)."""

    name = "log"
    limit_key: str | None = None
    rate_per_minute: int | None = None

    def __init__(self) -> None:
        self.sent: list[UUID] = []

    async def send(self, message: Outgoing) -> Accepted:
        assert message.fields["link"].startswith("https://x/")
        self.sent.append(message.notification_id)
        return Accepted(provider_id=str(message.notification_id))

    async def find(self, notification_id: UUID, channel: Channel) -> Remote | None:
        went = notification_id in self.sent
        return Remote(str(notification_id), "sending") if went else None

    async def status(self, provider_id: str) -> Remote | None:
        return None


@pytest.fixture(scope="module")
async def notifications_url(databases: Databases) -> str:
    return await databases.fresh("notifications", "notifications", migrations_of("notifications"))


@pytest.fixture
async def notifications_pool(notifications_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(
        notifications_url, min_size=2, max_size=4, server_settings=OWNER_SERVER_SETTINGS
    )
    await pool.execute(
        "TRUNCATE notifications, delivery_attempts, family_contacts, requests, provider_limits,"
        " family_link_generations, outbox, inbox"
    )
    yield pool
    await pool.close()


OUTBOX = Outbox(
    source="/send-platform/notifications", declared=[NotificationSent, NotificationDelivered]
)


def _work(pool: asyncpg.Pool) -> Work:
    """The notifications service's units of work on ``pool`` (the sender's record of what
    went)."""
    return Work(lambda: pool, OUTBOX)


def _sender(channel: RecordingChannel, url: str, lease_s: float = 60) -> AlertSender:
    overrides: dict[str, Provider] = {"log": channel}
    councils = Councils(NotificationsSettings(database_url=url), overrides=overrides)
    return AlertSender(
        councils, link_for=lambda a, _: f"https://x/{a.referral_id}", database_url=url,
        lease=timedelta(seconds=lease_s),
    )  # fmt: skip


async def _events(
    pool: asyncpg.Pool,
) -> tuple[Envelope[SpecialistAssigned], Envelope[FamilyContactRegistered]]:
    """A specialist-assigned event and the family's contact, for a referral whose request
    (and its acknowledgement) this service has already taken in."""
    referral_id = uuid4()
    async with pool.acquire() as conn:
        received = sample_event(ReferralReceived, referral_id)
        assert isinstance(received, ReferralReceived)
        await repository.save_request(conn, received, local_authority="E08000035")
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
    return (
        wrap(assigned, source="/t", local_authority="E08000035"),
        wrap(contact, source="/t", local_authority="E08000035"),
    )


async def _handle(pool: asyncpg.Pool, message: Envelope[Any]) -> None:
    async with pool.acquire() as conn:
        await handled(conn, message)


async def _announced(pool: asyncpg.Pool, referral_id: UUID) -> int:
    return int(
        await pool.fetchval(
            "SELECT count(*) FROM outbox WHERE key = $1 AND topic = $2",
            str(referral_id),
            NotificationSent.topic(),
        )
    )


async def test_alert_stored_while_the_contact_is_being_saved_is_still_sent(
    notifications_pool: asyncpg.Pool, notifications_url: str
) -> None:
    channel = RecordingChannel()
    assigned, contact = await _events(notifications_pool)

    async with notifications_pool.acquire() as first:
        transaction = first.transaction()
        await transaction.start()
        await handled(first, assigned)  # no contact yet: it waits
        first_pid = first.get_server_pid()
        second = asyncio.create_task(_handle(notifications_pool, contact))

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

    await _sender(channel, notifications_url).send_due(_work(notifications_pool))
    assert channel.sent == [
        await notifications_pool.fetchval(
            "SELECT id FROM notifications WHERE about_event_id = $1", assigned.id
        )
    ]
    status = await notifications_pool.fetchval(
        "SELECT status FROM notifications WHERE about_event_id = $1", assigned.id
    )
    assert status == "sent"


async def test_nothing_is_sent_inside_the_handlers_transaction_and_a_repeat_sends_once(
    notifications_pool: asyncpg.Pool, notifications_url: str
) -> None:
    channel = RecordingChannel()
    sender = _sender(channel, notifications_url)
    assigned, contact = await _events(notifications_pool)
    await _handle(notifications_pool, contact)
    await _handle(notifications_pool, assigned)
    await _handle(notifications_pool, assigned)  # the same event again
    assert channel.sent == []  # handlers only queue; the sender sends after their commit

    await sender.send_due(_work(notifications_pool))
    await sender.send_due(_work(notifications_pool))
    assert len(channel.sent) == 1
    assert await _announced(notifications_pool, assigned.data.referral_id) == 1


async def test_a_commit_failing_after_the_send_does_not_send_twice(
    notifications_pool: asyncpg.Pool, notifications_url: str
) -> None:
    channel = RecordingChannel()
    assigned, contact = await _events(notifications_pool)
    await _handle(notifications_pool, contact)
    await _handle(notifications_pool, assigned)
    # PostgreSQL refuses the first attempt to record the alert as sent (a deadlock, to it).
    # A sequence counts the attempts: nextval survives the rollback of the refused one.
    await notifications_pool.execute(
        """DROP SEQUENCE IF EXISTS record_attempts; CREATE SEQUENCE record_attempts;
           CREATE OR REPLACE FUNCTION refuse_once() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             IF NEW.status = 'sent' AND nextval('record_attempts') = 1 THEN
               RAISE EXCEPTION 'refused once' USING ERRCODE = '40P01';
             END IF;
             RETURN NEW;
           END $$;
           DROP TRIGGER IF EXISTS refuse_once ON notifications;
           CREATE TRIGGER refuse_once BEFORE UPDATE ON notifications
               FOR EACH ROW EXECUTE FUNCTION refuse_once();"""
    )
    try:
        await _sender(channel, notifications_url).send_due(_work(notifications_pool))
        attempts = await notifications_pool.fetchval("SELECT last_value FROM record_attempts")
    finally:
        await notifications_pool.execute("DROP TRIGGER refuse_once ON notifications")

    assert attempts == 2  # the record really failed once, then passed
    assert len(channel.sent) == 1
    assert await _announced(notifications_pool, assigned.data.referral_id) == 1
    assert (
        await notifications_pool.fetchval(
            "SELECT status FROM notifications WHERE about_event_id = $1", assigned.id
        )
        == "sent"
    )


@pytest.mark.parametrize("went_before", [True, False])
async def test_an_alert_left_sending_by_a_dead_sender_is_sent_only_if_it_had_not_gone(
    notifications_pool: asyncpg.Pool, notifications_url: str, went_before: bool
) -> None:
    channel = RecordingChannel()
    assigned, contact = await _events(notifications_pool)
    await _handle(notifications_pool, contact)
    await _handle(notifications_pool, assigned)
    # A sender claimed it, maybe handed it over, and died before recording it.
    alert_id = await notifications_pool.fetchval(
        """UPDATE notifications SET status = 'sending', claimed_at = now() - interval '1 hour',
               attempts = 1
           WHERE about_event_id = $1 RETURNING id""",
        assigned.id,
    )
    await notifications_pool.execute(
        """INSERT INTO delivery_attempts (notification_id, channel, provider, local_authority,
               status, started_at)
           VALUES ($1, 'email', 'log', 'E08000035', 'sending', now() - interval '1 hour')""",
        alert_id,
    )
    if went_before:
        channel.sent.append(alert_id)

    await _sender(channel, notifications_url, lease_s=60).send_due(_work(notifications_pool))

    assert channel.sent == [alert_id]  # once, whichever way
    assert await _announced(notifications_pool, assigned.data.referral_id) == 1


async def test_a_claim_within_its_lease_is_left_to_its_sender(
    notifications_pool: asyncpg.Pool, notifications_url: str
) -> None:
    channel = RecordingChannel()
    assigned, contact = await _events(notifications_pool)
    await _handle(notifications_pool, contact)
    await _handle(notifications_pool, assigned)
    await notifications_pool.execute(
        "UPDATE notifications SET status = 'sending', claimed_at = now() WHERE about_event_id = $1",
        assigned.id,
    )
    assert await _sender(channel, notifications_url).send_due(_work(notifications_pool)) == 0
    assert channel.sent == []


async def test_a_family_hears_of_their_request_first_whatever_order_the_events_arrive_in(
    notifications_pool: asyncpg.Pool, notifications_url: str
) -> None:
    # Each event comes on its own topic: the specialist's can reach this service before the
    # request's own acknowledgement, even before the family's contact.
    referral_id = uuid4()
    received = wrap(
        sample_event(ReferralReceived, referral_id), source="/t", local_authority="E08000035"
    )
    assigned = wrap(
        sample_event(SpecialistAssigned, referral_id), source="/t", local_authority="E08000035"
    )
    contact = wrap(
        FamilyContactRegistered(
            referral_id=referral_id,
            contact_name="A Parent",
            email="a@example.org",
            preferred_channel="email",
        ),
        source="/t",
        local_authority="E08000035",
    )
    assert received.time < assigned.time
    channel = RecordingChannel()
    sender = _sender(channel, notifications_url)

    await _handle(notifications_pool, assigned)
    await _handle(notifications_pool, contact)
    assert await sender.send_due(_work(notifications_pool)) == 0  # no request known yet
    await _handle(notifications_pool, received)
    while await sender.send_due(_work(notifications_pool)):
        pass

    by_event = {
        r["about_event_id"]: r["id"]
        for r in await notifications_pool.fetch(
            "SELECT about_event_id, id FROM notifications WHERE referral_id = $1", referral_id
        )
    }
    assert channel.sent == [by_event[received.id], by_event[assigned.id]]
    async with notifications_pool.acquire() as conn:
        listed = await repository.notifications_for(conn, referral_id)
    assert [r["template"] for r in listed] == ["request-received", "specialist-assigned"]


async def _until_marker(heard: asyncio.Queue[str], pool: asyncpg.Pool) -> list[str]:
    await pool.execute("SELECT pg_notify('notifications_queued', 'marker')")
    before: list[str] = []
    async with asyncio.timeout(10):
        while (payload := await heard.get()) != "marker":
            before.append(payload)
    return before


async def test_the_sender_is_woken_by_a_queued_message_and_never_by_its_own_claims(
    notifications_pool: asyncpg.Pool, notifications_url: str
) -> None:
    listener = await owner_connection(notifications_url)
    heard: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener("notifications_queued", lambda *args: heard.put_nowait(args[3]))
    try:
        channel = RecordingChannel()
        sender = _sender(channel, notifications_url)
        # Nothing due: the claim changes no row, and must not wake the sender again.
        assert await sender.send_due(_work(notifications_pool)) == 0
        assert await _until_marker(heard, notifications_pool) == []
        # A message queued wakes it, once.
        assigned, contact = await _events(notifications_pool)
        await _handle(notifications_pool, contact)
        await _handle(notifications_pool, assigned)
        assert await _until_marker(heard, notifications_pool) != []
        # Claiming and sending it (queued -> sending -> sent) wakes nobody.
        assert await sender.send_due(_work(notifications_pool)) >= 1
        assert channel.sent
        assert await _until_marker(heard, notifications_pool) == []
    finally:
        await listener.close()


class FaultyChannel(RecordingChannel):
    """Fails, as a bug would, for the messages of the referrals in ``broken``."""

    def __init__(self) -> None:
        super().__init__()
        self.broken: set[UUID] = set()

    async def send(self, message: Outgoing) -> Accepted:
        if message.referral_id in self.broken:
            raise RuntimeError("a bug")
        return await super().send(message)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("its council has no settings", "LookupError"),
        ("its provider is no longer configured", "LookupError"),
        ("its provider fails", "RuntimeError"),
    ],
)
async def test_one_messages_fault_holds_it_back_and_no_other_familys(
    notifications_pool: asyncpg.Pool, notifications_url: str, fault: str, error: str
) -> None:
    channel = FaultyChannel()
    councils = Councils(
        NotificationsSettings(
            database_url=notifications_url,
            council_messaging={"E08000035": CouncilMessaging()},
        ),
        overrides={"log": channel},
    )
    sender = AlertSender(
        councils, link_for=lambda a, _: f"https://x/{a.referral_id}", database_url=notifications_url
    )
    others = [await _events(notifications_pool) for _ in range(3)]
    faulty = await _events(notifications_pool)
    for message in (*faulty, *(m for family in others for m in family)):
        await _handle(notifications_pool, message)
    faulty_id = faulty[0].data.referral_id
    if fault == "its council has no settings":
        await notifications_pool.execute(
            "UPDATE notifications SET local_authority = 'E06000001' WHERE referral_id = $1",
            faulty_id,
        )
    elif fault == "its provider is no longer configured":  # a sender stopped mid-way before
        await notifications_pool.execute(
            """WITH stopped AS (
                   UPDATE notifications SET status = 'sending', attempts = 1,
                       claimed_at = now() - interval '1 hour'
                   WHERE referral_id = $1 RETURNING id)
               INSERT INTO delivery_attempts (notification_id, channel, provider, local_authority,
                   status, started_at)
               SELECT id, 'email', 'notify', 'E08000035', 'sending', now() - interval '1 hour'
               FROM stopped""",
            faulty_id,
        )
    else:
        channel.broken.add(faulty_id)
    assert await sender.send_due(_work(notifications_pool)) == 4  # claimed together
    rows = await notifications_pool.fetch(
        "SELECT id, referral_id, status, held_reason FROM notifications"
    )
    by_referral = {r["referral_id"]: r for r in rows}
    for assigned, _ in others:
        assert by_referral[assigned.data.referral_id]["status"] == "sent"
        assert await _announced(notifications_pool, assigned.data.referral_id) == 1
    went = sorted(by_referral[assigned.data.referral_id]["id"] for assigned, _ in others)
    assert sorted(channel.sent) == went  # each other family's message, once
    held = by_referral[faulty_id]
    assert (held["status"], held["held_reason"]) == ("queued", f"error: {error}")
    assert await _announced(notifications_pool, faulty_id) == 0


async def test_a_message_that_cannot_be_recorded_stops_no_other_familys_record(
    notifications_pool: asyncpg.Pool, notifications_url: str
) -> None:
    channel = RecordingChannel()
    families = [await _events(notifications_pool) for _ in range(3)]
    for assigned, contact in families:
        await _handle(notifications_pool, contact)
        await _handle(notifications_pool, assigned)
    stuck = families[0][0].data.referral_id
    # A bug refuses to record one message as sent: no retry can help (not a transient error).
    await notifications_pool.execute(
        f"""CREATE OR REPLACE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.status = 'sent' AND NEW.referral_id = '{stuck}' THEN
                RAISE EXCEPTION 'a bug';
              END IF;
              RETURN NEW;
            END $$;
            DROP TRIGGER IF EXISTS refuse_one ON notifications;
            CREATE TRIGGER refuse_one BEFORE UPDATE ON notifications
                FOR EACH ROW EXECUTE FUNCTION refuse_one();"""
    )
    sender = _sender(channel, notifications_url)
    try:
        assert await sender.send_due(_work(notifications_pool)) == 3
    finally:
        await notifications_pool.execute("DROP TRIGGER refuse_one ON notifications")
    assert len(channel.sent) == 3
    for assigned, _ in families[1:]:
        status = await notifications_pool.fetchval(
            "SELECT status FROM notifications WHERE about_event_id = $1", assigned.id
        )
        assert status == "sent"
        assert await _announced(notifications_pool, assigned.data.referral_id) == 1
    status_of_stuck = "SELECT status FROM notifications WHERE referral_id = $1"
    assert await notifications_pool.fetchval(status_of_stuck, stuck) == "sending"
    # The bug mended and its lease run out, the next sender asks the provider: the message is
    # recorded as it went, never sent again.
    await notifications_pool.execute(
        "UPDATE notifications SET claimed_at = now() - interval '1 hour' WHERE referral_id = $1",
        stuck,
    )
    assert await sender.send_due(_work(notifications_pool)) == 1
    assert len(channel.sent) == 3
    assert await notifications_pool.fetchval(status_of_stuck, stuck) == "sent"
    assert await _announced(notifications_pool, stuck) == 1


class HeldChannel(RecordingChannel):
    """Takes a message, then keeps its answer until ``answer`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.took = asyncio.Event()
        self.answer = asyncio.Event()

    async def send(self, message: Outgoing) -> Accepted:
        accepted = await super().send(message)
        self.took.set()
        await self.answer.wait()
        return accepted


async def test_a_receipt_for_a_message_being_recorded_waits_its_turn_without_a_deadlock(
    notifications_pool: asyncpg.Pool, notifications_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A receipt locks the message, then its attempt; a sender recording the same message must
    # take them in that order too, else each holds what the other waits for (#25's deadlock).
    caplog.set_level(logging.WARNING)
    channel = HeldChannel()
    assigned, contact = await _events(notifications_pool)
    await _handle(notifications_pool, contact)
    await _handle(notifications_pool, assigned)
    sending = asyncio.create_task(
        _sender(channel, notifications_url).send_due(_work(notifications_pool))
    )
    await asyncio.wait_for(channel.took.wait(), timeout=10)
    [alert_id] = channel.sent
    async with notifications_pool.acquire() as conn, conn.transaction():
        await act_for(conn, ALL)
        # The receipt's first step: the message's row (deliveries.receipts).
        await conn.execute("SELECT id FROM notifications WHERE id = $1 FOR UPDATE", alert_id)
        channel.answer.set()  # Notify answers: the sender goes on to record the message
        pid = conn.get_server_pid()

        async def the_sender_waits_for_the_receipt() -> bool:
            return bool(
                await notifications_pool.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM pg_stat_activity"
                    " WHERE $1 = ANY(pg_blocking_pids(pid)))",
                    pid,
                )
            )

        await wait_for(the_sender_waits_for_the_receipt, what="the sender's record")
        [found] = await deliveries.receipts(
            conn,
            [deliveries.Status(alert_id, "email", str(alert_id), "delivered", datetime.now(UTC))],
        )
        assert found is not None
        await OUTBOX.add(conn, found.events, local_authority=found.local_authority)
    await sending
    refused = [r.getMessage() for r in caplog.records if "recording" in r.getMessage()]
    assert refused == []  # no deadlock: the record was never refused and retried
    status = await notifications_pool.fetchval(
        "SELECT status FROM notifications WHERE id = $1", alert_id
    )
    assert status == "delivered"
    assert await _announced(notifications_pool, assigned.data.referral_id) == 1  # sent, once


async def test_the_link_in_a_message_is_of_the_referrals_latest_link_generation(
    notifications_pool: asyncpg.Pool, notifications_url: str
) -> None:
    generations: list[int] = []

    def link_for(alert: Any, generation: int) -> str:
        generations.append(generation)
        return f"https://x/{alert.referral_id}"

    overrides: dict[str, Provider] = {"log": RecordingChannel()}
    councils = Councils(NotificationsSettings(database_url=notifications_url), overrides=overrides)
    sender = AlertSender(councils, link_for=link_for, database_url=notifications_url)
    assigned, contact = await _events(notifications_pool)
    referral_id = assigned.data.referral_id
    await _handle(notifications_pool, contact)
    for generation in (2, 1):  # two revocations, heard of in the other order
        revoked = FamilyLinksRevoked(
            referral_id=referral_id,
            local_authority="E08000035",
            revoked_at=datetime.now(UTC),
            generation=generation,
        )
        await _handle(notifications_pool, wrap(revoked, source="/t", local_authority="E08000035"))
    await _handle(notifications_pool, assigned)
    await sender.send_due(_work(notifications_pool))
    assert generations == [2]


class KeepingChannel(RecordingChannel):
    """Keeps whom each message went to and the words' fields too."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Outgoing] = []

    async def send(self, message: Outgoing) -> Accepted:
        self.messages.append(message)
        return await super().send(message)


async def test_a_young_persons_representative_gets_the_messages_about_the_young_person(
    notifications_pool: asyncpg.Pool, notifications_url: str
) -> None:
    """s80: the young person asked for themselves (they were told "you"); a representative
    recorded later replaces them as the contact, and the next message goes to the
    representative, speaking of "the young person"."""
    referral_id = uuid4()
    council = "E08000035"
    received = sample_event(ReferralReceived, referral_id)
    assert isinstance(received, ReferralReceived)
    young = received.model_copy(update={"requested_by": "young_person"})
    themselves = FamilyContactRegistered(
        referral_id=referral_id,
        contact_name="Seren",
        email="seren@example.org",
        preferred_channel="email",
    )
    representative = FamilyContactRegistered(
        referral_id=referral_id,
        contact_name="Dafydd",
        email="dafydd@example.org",
        preferred_channel="email",
        representative=True,
    )
    channel = KeepingChannel()
    sender = _sender(channel, notifications_url)
    for event in (young, themselves):
        await _handle(notifications_pool, wrap(event, source="/t", local_authority=council))
    while await sender.send_due(_work(notifications_pool)):
        pass
    for later in (representative, sample_event(SpecialistAssigned, referral_id)):
        await _handle(notifications_pool, wrap(later, source="/t", local_authority=council))
    while await sender.send_due(_work(notifications_pool)):
        pass

    told = [(m.template, m.to, m.fields["who"]) for m in channel.messages]
    assert told == [
        ("request-received", "seren@example.org", "you"),
        ("specialist-assigned", "dafydd@example.org", "the young person"),
    ]


class HoldingChannel(RecordingChannel):
    """Holds the messages of the referrals in ``holding`` until ``release``: a provider slow
    to answer some calls."""

    def __init__(self, holding: set[UUID]) -> None:
        super().__init__()
        self.holding = holding
        self.held = asyncio.Event()
        self.release = asyncio.Event()

    async def send(self, message: Outgoing) -> Accepted:
        if message.referral_id in self.holding:
            self.held.set()
            await self.release.wait()
        return await super().send(message)


@contextlib.asynccontextmanager
async def _two_families_one_held(
    pool: asyncpg.Pool, url: str, channel_of: Callable[[set[UUID]], HoldingChannel]
) -> AsyncIterator[tuple[HoldingChannel, UUID, UUID]]:
    """A sender of two lanes running on ``channel_of({the first family})``: the first family's
    message held by the provider, then the second family's queued. Yields the channel and the
    two referrals; the sender stops on leaving."""
    first, first_contact = await _events(pool)
    channel = channel_of({first.data.referral_id})
    settings = NotificationsSettings(database_url=url, sending_lanes=2)
    councils = Councils(settings, overrides={"log": channel})
    sender = AlertSender(
        councils, link_for=lambda a, _: f"https://x/{a.referral_id}", database_url=url
    )
    state = SimpleNamespace(work=_work(pool))
    running = asyncio.create_task(sender.run(state))  # type: ignore[arg-type]  # reads .work
    try:
        await _handle(pool, first_contact)
        await _handle(pool, first)
        await asyncio.wait_for(channel.held.wait(), 30)
        second, second_contact = await _events(pool)
        await _handle(pool, second_contact)
        await _handle(pool, second)
        yield channel, first.data.referral_id, second.data.referral_id
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


async def test_a_message_queued_while_another_is_with_the_provider_goes_in_the_other_lane(
    notifications_pool: asyncpg.Pool, notifications_url: str
) -> None:
    pool = notifications_pool
    async with _two_families_one_held(pool, notifications_url, HoldingChannel) as (
        channel, first, second,
    ):  # fmt: skip
        # One lane waits on the provider; the other claims and sends the second family's.
        await wait_for(
            lambda: _all_sent(pool, channel, second),
            what="the second family's message sent while the first's is held",
        )
        assert not await _all_sent(pool, channel, first)
        channel.release.set()
        await wait_for(
            lambda: _all_sent(pool, channel, first),
            what="the first family's message sent once the provider answers",
        )


async def _all_sent(pool: asyncpg.Pool, channel: RecordingChannel, referral_id: UUID) -> bool:
    """Every message queued for the referral has been handed to ``channel``."""
    ids = await pool.fetch("SELECT id FROM notifications WHERE referral_id = $1", referral_id)
    return bool(ids) and {r["id"] for r in ids} <= set(channel.sent)


class HoldingAndFailingChannel(HoldingChannel):
    """Holds the messages of ``holding``'s referrals; the first call for any other referral
    fails as an outage would (the connection reset: the lane pauses, and that message waits
    for its claim's lease, as any message whose sender stopped mid-way)."""

    def __init__(self, holding: set[UUID]) -> None:
        super().__init__(holding)
        self.failed = False

    async def send(self, message: Outgoing) -> Accepted:
        if message.referral_id not in self.holding and not self.failed:
            self.failed = True
            raise ConnectionResetError("the provider's connection reset")
        return await super().send(message)


async def test_a_lane_that_fails_leaves_the_other_lanes_round_to_finish_and_be_recorded(
    notifications_pool: asyncpg.Pool, notifications_url: str
) -> None:
    pool = notifications_pool
    async with _two_families_one_held(pool, notifications_url, HoldingAndFailingChannel) as (
        channel, first, _,
    ):  # fmt: skip
        assert isinstance(channel, HoldingAndFailingChannel)
        await wait_for(lambda: _failed_once(channel), what="the other lane's call failing")
        channel.release.set()

        # The held round finishes and is recorded: not cut short by the other lane's failure
        # (it would then wait out its claim's lease, a minute, before going again).
        await wait_for(
            lambda: _all_recorded_sent(pool, first),
            what="the first family's message recorded as sent",
        )


async def _failed_once(channel: HoldingAndFailingChannel) -> bool:
    return channel.failed


async def _all_recorded_sent(pool: asyncpg.Pool, referral_id: UUID) -> bool:
    statuses = await pool.fetch(
        "SELECT status FROM notifications WHERE referral_id = $1", referral_id
    )
    return bool(statuses) and all(r["status"] == "sent" for r in statuses)
