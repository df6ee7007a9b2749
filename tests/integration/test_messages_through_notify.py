"""Messages through a local GOV.UK Notify speaking Notify's HTTP API, driven by the official
client, on real PostgreSQL: sent once, known to arrive, in order, within Notify's limits."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from notifications import repository
from notifications.templates import PHRASES
from notifications.wording import Phrases
from referrals.domain import FamilyContact, NewReferral, Postcode, receive

from devtools.local_notify import LocalNotify, Template, project_template_ids, template_id
from shared.db import Database
from shared.events import (
    DeadlineMissed,
    FamilyContactRegistered,
    ReferralReceived,
    Sen2Need,
    SpecialistAssigned,
)
from shared.outbox import Outbox
from shared.unit_of_work import Work
from tests.integration.messaging import (
    CALLBACK_TOKEN,
    COUNCIL,
    OUTBOX,
    Clock,
    announced,
    database,
    db,
    event_about,
    handle,
    owner_url,
    referral,
    stack,
    statuses,
    until,
)

__all__ = ["database", "db", "owner_url"]  # fixtures


async def test_a_message_goes_through_notify_once_and_its_receipt_marks_it_delivered(
    db: asyncpg.Pool, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with stack(database) as s:
        family = await referral(database.pool())
        assert await s.send_due() == 1
        [sent] = s.notify.messages
        notification_id = await db.fetchval(
            "SELECT id FROM notifications WHERE referral_id = $1", family.id
        )
        assert sent["reference"] == str(notification_id)  # the message id: no personal data
        assert sent["type"] == "email"
        assert sent["to"] == family.contact.email
        assert f"Your reference is {str(family.id)[:8].upper()}" in sent["body"]
        assert f"https://council.example/family/{family.id}" in sent["body"]
        assert "5 January 2026" in sent["body"]  # received; no EHC date promised (s36(1))
        assert "16 February 2026" not in sent["body"]

        async def delivered() -> bool:
            return (await statuses(db, family.id)) == [("request-received", "delivered", "email")]

        await until(delivered, what="the delivery receipt")
        assert await s.send_due() == 0
    assert len(s.notify.messages) == 1
    assert await announced(db, family.id) == ["notification-sent", "notification-delivered"]
    private = (family.contact.email, family.contact.phone, family.contact.contact_name)
    for record in caplog.records:
        assert not any(p and p in record.getMessage() for p in private), record.getMessage()


async def test_a_receipt_needs_the_callback_token_and_reaches_only_its_councils_messages(
    db: asyncpg.Pool, database: Database
) -> None:
    async with stack(database) as s:
        s.notify.callbacks = False
        family = await referral(database.pool())
        await s.send_due()
        [sent] = s.notify.messages
        receipt = {"id": sent["id"], "reference": sent["reference"], "to": sent["to"],
                   "status": "delivered", "notification_type": "email"}  # fmt: skip
        url = str(s.notify.callback_url)
        async with httpx.AsyncClient() as client:
            refused = await client.post(url, json=receipt, headers={"Authorization": "Bearer x"})
            assert refused.status_code == 401
            assert (await client.post(url, json=receipt)).status_code == 401
            assert (await statuses(db, family.id))[0][1] == "sent"
            bearer = {"Authorization": f"Bearer {CALLBACK_TOKEN}"}
            accepted = await client.post(url, json=receipt, headers=bearer)
            assert accepted.status_code == 204
            again = await client.post(url, json=receipt, headers=bearer)  # Notify retries
            assert again.status_code == 204
    assert (await statuses(db, family.id))[0][1] == "delivered"
    assert await announced(db, family.id) == ["notification-sent", "notification-delivered"]


async def test_without_callbacks_polling_finds_the_status(
    db: asyncpg.Pool, database: Database
) -> None:
    from notifications.receipts import ReceiptPoller

    clock = Clock()
    async with stack(database, clock) as s:
        s.notify.callbacks = False
        family = await referral(database.pool())
        await s.send_due()
        await until(lambda: _notify_status(s.notify, "delivered"), what="Notify to deliver")
        poller = ReceiptPoller(
            lambda council: s.sender.councils.council(council).providers.get("notify"),
            after=s.settings.notify_poll_after_delta(), interval_s=1, burst=10, clock=clock,
        )  # fmt: skip
        assert await poller.poll(Work(database.pool, _outbox())) == 0  # too early to ask
        clock.advance(seconds=s.settings.notify_poll_after_s + 1)
        assert await poller.poll(Work(database.pool, _outbox())) == 1
    assert (await statuses(db, family.id))[0][1] == "delivered"


async def _notify_status(notify: LocalNotify, status: str) -> bool:
    return all(m["status"] == status for m in notify.messages)


def _outbox() -> Outbox:
    return OUTBOX


async def test_a_permanent_failure_falls_back_to_the_next_channel(
    db: asyncpg.Pool, database: Database
) -> None:
    async with stack(database) as s:
        family = await referral(database.pool(), phone="07700900002", preferred_channel="sms")
        beside = await referral(database.pool())  # claimed and sent with it: an email

        async def fell_back() -> bool:  # and the email beside it delivered too
            await s.send_due()
            both = await statuses(db, family.id) + await statuses(db, beside.id)
            return [status for _, status, _ in both] == ["delivered", "delivered"]

        await until(fell_back, what="the email after the failed text, and the other family's")
    theirs = (family.contact.phone, family.contact.email)
    told = [(m["type"], m["status"]) for m in s.notify.messages if m["to"] in theirs]
    assert told == [("sms", "permanent-failure"), ("email", "delivered")]
    assert [m["to"] for m in s.notify.messages].count(beside.contact.email) == 1
    attempts = await db.fetch(
        """SELECT a.channel, a.status FROM delivery_attempts a
           JOIN notifications n ON n.id = a.notification_id
           WHERE n.referral_id = $1 ORDER BY a.started_at""",
        family.id,
    )
    assert [tuple(a) for a in attempts] == [("sms", "permanent-failure"), ("email", "delivered")]
    assert await statuses(db, beside.id) == [("request-received", "delivered", "email")]


async def test_a_message_not_delivered_in_time_goes_by_the_next_channel(
    db: asyncpg.Pool, database: Database
) -> None:
    clock = Clock()
    async with stack(database, clock, fallback_after_s=3600) as s:
        s.notify.callbacks = False  # no news of the text
        family = await referral(database.pool(), preferred_channel="sms")
        await s.send_due()
        assert [m["type"] for m in s.notify.messages] == ["sms"]
        clock.advance(minutes=59)
        assert await s.send_due() == 0
        clock.advance(minutes=2)
        assert await s.send_due() == 1
    assert [m["type"] for m in s.notify.messages] == ["sms", "email"]
    assert await announced(db, family.id) == ["notification-sent", "notification-sent"]


async def test_texts_wait_for_the_morning_and_the_familys_later_messages_wait_behind_them(
    db: asyncpg.Pool, database: Database
) -> None:
    clock = Clock()
    clock.now = clock.now.replace(month=7, hour=21, minute=30)  # 22:30 in London (BST)
    async with stack(database, clock) as s:
        family = await referral(database.pool(), preferred_channel="sms")
        await event_about(database.pool(), family.id, SpecialistAssigned)
        by_email = await referral(database.pool())  # claimed with the text: emails go at night
        # The first text is held; the family's second waits behind it; the email goes.
        assert await s.send_due() == 2
        assert [(m["type"], m["to"]) for m in s.notify.messages] == [
            ("email", by_email.contact.email)
        ]
        held: Any = await db.fetchrow(
            """SELECT status, held_reason, not_before FROM notifications
               WHERE referral_id = $1 AND template = $2""",
            family.id,
            "request-received",
        )
        assert (held["status"], held["held_reason"]) == ("queued", "quiet-hours")
        assert held["not_before"] == clock.now.replace(day=clock.now.day + 1, hour=7, minute=0)
        clock.advance(hours=9)  # 07:30 in London
        assert await s.send_due() == 0
        clock.advance(hours=1)
        await s.send_due()
        await s.send_due()
    texts = [m["name"] for m in s.notify.messages if m["to"] == family.contact.phone]
    assert texts == ["request-received", "specialist-assigned"]


async def test_the_token_bucket_keeps_under_notifys_limit_and_a_429_pauses_every_sender(
    db: asyncpg.Pool, database: Database
) -> None:
    async with stack(database) as s:
        provider = s.sender.councils.council(COUNCIL).provider("notify")
        provider.rate_per_minute, s.sender._burst = 62, 2  # two at once, then one a second
        families = [await referral(database.pool()) for _ in range(3)]
        assert await s.send_due() == 3
        assert len(s.notify.messages) == 2  # the bucket, not Notify, held the third back
        held = await db.fetchval("SELECT held_reason FROM notifications WHERE status = 'queued'")
        assert held == "rate-limit"

        provider.rate_per_minute, s.sender._burst = 3000, 50
        # Now Notify's own limit bites: three a minute, two already sent, four to go. However
        # slow the machine, the fourth is refused.
        s.notify.rate_limit, s.notify.rate_window_s = 3, 60.0
        for family in families:
            await event_about(database.pool(), family.id, SpecialistAssigned)

        async def refused() -> bool:
            await s.send_due()
            return s.notify.refused > 0

        await until(refused, what="Notify's 429")
        # The refusal paused the provider in the table every sender reads before sending.
        assert await db.fetchval("SELECT count(paused_until) FROM provider_limits") == 1
        assert len(s.notify.messages) < 3 + 3

        s.notify.rate_limit = 3000  # Notify takes messages again

        async def all_sent() -> bool:
            await s.send_due()
            return len(s.notify.messages) == 3 + 3

        await until(all_sent, what="every message", timeout_s=30)
        paused = await db.fetchval("SELECT max(failures) FROM provider_limits")
    assert paused == 0  # the senders recovered from it
    references = sorted(m["reference"] for m in s.notify.messages)
    assert references == sorted(str(i) for i in await db.fetchval(
        "SELECT array_agg(id) FROM notifications"))  # fmt: skip  # each exactly once


async def test_notify_down_then_back_sends_each_familys_messages_once_and_in_order(
    db: asyncpg.Pool, database: Database
) -> None:
    async with stack(database) as s:
        families = [await referral(database.pool()) for _ in range(2)]
        for family in families:
            await event_about(database.pool(), family.id, SpecialistAssigned)
        s.notify.outage = True
        await s.send_due()
        assert s.notify.messages == []
        paused = await db.fetchval("SELECT paused_until FROM provider_limits")
        assert paused is not None
        s.notify.outage = False

        async def all_sent() -> bool:
            await s.send_due()
            return len(s.notify.messages) == 4

        await until(all_sent, what="Notify's recovery")
    for family in families:
        got = [m["name"] for m in s.notify.messages if str(family.id)[:8].upper() in m["body"]]
        assert got == ["request-received", "specialist-assigned"]


def _ids(rows: list[asyncpg.Record]) -> list[UUID]:
    return [r["id"] for r in rows]


async def test_a_family_hears_in_its_language_where_the_council_has_the_message_in_it(
    db: asyncpg.Pool, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    english = PHRASES["en"]
    deadlines = {"decision": "ein penderfyniad ynghylch asesiad", "": "cam yn yr asesiad"}
    welsh = Phrases(codes={**english.codes, "deadline": deadlines}, and_="a", by="erbyn")
    monkeypatch.setitem(PHRASES, "cy", welsh)  # as a council's translators would add them
    welsh_email = template_id("deadline-missed-family", "email", "cy")
    templates = {**project_template_ids(), "cy": {"email": {"deadline-missed-family": welsh_email}}}
    async with stack(
        database, caseworker_email="team@council.example", notify_templates=templates
    ) as s:
        s.notify.templates[welsh_email] = Template(
            welsh_email, "email", "deadline-missed-family", "Mae'n ddrwg gennym, cyf ((reference))",
            "Mae'n ddrwg gennym: roedd ((deadline)) i fod erbyn ((due_on)). ((link))",
        )  # fmt: skip
        by_email = await referral(database.pool())
        by_text = await referral(database.pool(), preferred_channel="sms")
        for family in (by_email, by_text):
            async with db.acquire() as conn:
                await repository.save_preferences(
                    conn, family.id, local_authority=COUNCIL, channel=None, language="cy",
                    statutory_only=False,
                )  # fmt: skip
            await event_about(database.pool(), family.id, DeadlineMissed)

        async def all_sent() -> bool:
            await s.send_due()
            rows = await statuses(db, by_email.id) + await statuses(db, by_text.id)
            return all(status in ("sent", "delivered") for _, status, _ in rows)

        await until(all_sent, what="every message sent")
    told = {(m["to"], m["name"]): m for m in s.notify.messages}
    email = told[(by_email.contact.email, "deadline-missed-family")]
    assert email["template"]["id"] == welsh_email
    assert "roedd ein penderfyniad ynghylch asesiad i fod erbyn" in email["body"]
    # No Welsh template for the text, nor for the acknowledgement: English words, English
    # phrases in them (never the two languages in one message).
    text = told[(by_text.contact.phone, "deadline-missed-family")]
    assert "our decision whether to carry out an EHC needs assessment" in text["body"]
    assert "penderfyniad" not in text["body"]
    received = told[(by_email.contact.email, "request-received")]
    assert received["template"]["id"] == template_id("request-received", "email")


async def test_a_family_who_asked_for_letters_at_intake_gets_a_letter(
    db: asyncpg.Pool, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # What referrals' intake publishes for a family who gave an address and chose letters.
    contact = FamilyContact.model_validate(
        {"name": "Ann Parent", "preferred_channel": "letter",
         "address": {"lines": ["12 Otley Road", "Leeds"], "postcode": "ls6 2ab"}}
    )  # fmt: skip
    referral_id = uuid4()
    events = receive(
        NewReferral(
            referral_id=referral_id, local_authority=COUNCIL, received_on=date(2026, 1, 5),
            requested_by="parent", primary_need=Sen2Need.SLCN,
            postcode=Postcode.parse("LS6 2AB"), contact=contact,
        )
    )  # fmt: skip
    async with stack(database) as s:
        for event in events:
            assert isinstance(event, (ReferralReceived, FamilyContactRegistered))
            await handle(database.pool(), event)
        assert await s.send_due() == 1
        [letter] = s.notify.messages
        assert letter["type"] == "letter"  # Notify's letter endpoint
        assert letter["to"] == "12 Otley Road, Leeds, LS6 2AB"
        assert letter["reference"] == str(
            await db.fetchval("SELECT id FROM notifications WHERE referral_id = $1", referral_id)
        )
        assert "We received the request for support" in letter["body"]

        async def sent() -> bool:
            return (await statuses(db, referral_id)) == [("request-received", "sent", "letter")]

        await until(sent, what="the letter recorded as sent")
    for record in caplog.records:
        assert "Otley" not in record.getMessage(), record.getMessage()
