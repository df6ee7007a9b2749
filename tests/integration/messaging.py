"""What the notifications tests share: a fresh database, the local GOV.UK Notify served on this
test's event loop (the official client in the sender calls it over HTTP from its thread), the
receipts route served the same way, the events a referral causes, and the sender."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import UUID, uuid4

import asyncpg
import pytest
import uvicorn
from fastapi import FastAPI
from notifications import receipts
from notifications.config import CouncilMessaging, NotificationsSettings
from notifications.handlers import subscriptions
from notifications.providers import Councils
from notifications.receipt_batches import ReceiptBatches
from notifications.sender import AlertSender
from notifications.state import Notifications
from pydantic import SecretStr
from starlette.applications import Starlette

from devtools.local_notify import LocalNotify, development_messaging
from scripts.platform import free_port, migrations_of, service_url
from shared.db import Connection, Database
from shared.events import (
    ALL_EVENTS,
    DomainEvent,
    Envelope,
    FamilyContactRegistered,
    ReferralReceived,
    SpecialistAssigned,
    wrap,
)
from shared.migrations import OWNER_SERVER_SETTINGS
from shared.outbox import Outbox
from shared.state import install
from shared.unit_of_work import Work
from tests.app_state import bare_state
from tests.conftest import Databases
from tests.events import sample_event
from tests.handling import handle_as_service

COUNCIL = "E08000035"
CALLBACK_TOKEN = "callback-token-for-tests-only"
OUTBOX = Outbox(
    source="/send-platform/notifications",
    declared=[e for e in ALL_EVENTS if e.owner == "notifications"],
)
assert {s.event_class for s in subscriptions} >= {ReferralReceived, SpecialistAssigned}


@pytest.fixture(scope="module")
async def owner_url(databases: Databases) -> str:
    return await databases.fresh("messages", "notifications", migrations_of("notifications"))


@pytest.fixture
async def db(owner_url: str) -> AsyncIterator[asyncpg.Pool]:
    """The owner's pool, for setting up and looking (acting for every council: row-level
    security binds the owner too)."""
    pool = await asyncpg.create_pool(
        owner_url, min_size=1, max_size=4, server_settings=OWNER_SERVER_SETTINGS
    )
    await pool.execute(
        """TRUNCATE notifications, delivery_attempts, family_contacts, family_preferences,
           requests, provider_limits, outbox, inbox"""
    )
    yield pool
    await pool.close()


@pytest.fixture
async def database(owner_url: str, db: asyncpg.Pool) -> AsyncIterator[Database]:
    """The service's own database as the service connects to it: bound by row-level security."""
    found = Database(service_url(owner_url), max_size=6)
    await found.open()
    yield found
    await found.close()


@asynccontextmanager
async def serving(app: Starlette, port: int | None = None) -> AsyncIterator[str]:
    """``app`` on 127.0.0.1 (a free port unless given) until the block ends."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def receipts_app(database: Database, batches: ReceiptBatches | None = None) -> FastAPI:
    """The receipts route alone; ``batches``: the receipts committed together, to look at."""
    app = FastAPI()
    app.include_router(receipts.router)
    tokens = {COUNCIL: SecretStr(CALLBACK_TOKEN)}
    batches = batches or ReceiptBatches()
    own = Notifications(
        tokens, settings=cast("Any", None), sender=cast("Any", None), receipts=batches
    )  # settings and sender unread
    install(app, bare_state(database, Work(database.pool, OUTBOX), own))
    return app


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    real: bool = False
    offset: timedelta = timedelta(0)
    """A real clock runs this far from the wall clock (see ``midday``)."""

    @classmethod
    def midday(cls) -> Clock:
        """A clock that runs in real time from noon (UTC) today: tests that are not about quiet
        hours must not meet them because the suite happens to run at night."""
        wall = datetime.now(UTC)
        return cls(real=True, offset=wall.replace(hour=12, minute=0, second=0) - wall)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset if self.real else self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Stack:
    """A local Notify, the receipts route, and a sender pointed at them."""

    notify: LocalNotify
    notify_url: str
    database: Database
    clock: Clock
    settings: NotificationsSettings
    sender: AlertSender

    async def send_due(self) -> int:
        return await self.sender.send_due(Work(self.database.pool, OUTBOX))


def settings_for(notify_url: str, database_url: str, **council: Any) -> NotificationsSettings:
    messaging = {**development_messaging(notify_url, CALLBACK_TOKEN), **council}
    return NotificationsSettings(
        database_url=database_url,
        council_messaging={COUNCIL: CouncilMessaging.model_validate(messaging)},
        notify_burst=50,
        notify_timeout_s=5,
    )


@asynccontextmanager
async def stack(
    database: Database, clock: Clock | None = None, lease_s: float = 60, **council: Any
) -> AsyncIterator[Stack]:
    clock = clock or Clock.midday()
    async with serving(receipts_app(database)) as receipts_url:
        notify = LocalNotify(
            callback_url=f"{receipts_url}/v1/notify/receipts",
            callback_token=CALLBACK_TOKEN,
            deliver_after_s=0.05,
            callback_retry_s=0.2,
        )
        async with serving(notify.app()) as notify_url:
            settings = settings_for(notify_url, database.url, **council)
            sender = AlertSender(
                Councils(settings),
                link_for=lambda a, _: f"https://council.example/family/{a.referral_id}",
                database_url=database.url,
                lease=timedelta(seconds=lease_s),
                clock=clock,
            )
            yield Stack(notify, notify_url, database, clock, settings, sender)


@dataclass(frozen=True)
class Referral:
    id: UUID
    contact: FamilyContactRegistered


def contact(referral_id: UUID, **fields: Any) -> FamilyContactRegistered:
    defaults: dict[str, Any] = {
        "contact_name": "Ann Parent",
        "email": f"ann.{referral_id.hex[:6]}@example.org",
        "phone": "07700900123",
        "preferred_channel": "email",
    }
    return FamilyContactRegistered(referral_id=referral_id, **{**defaults, **fields})


async def handle(pool: asyncpg.Pool, event: DomainEvent) -> Envelope[Any]:
    """Run the notifications handler of ``event`` in its own transaction, as the service."""
    message: Envelope[Any] = wrap(event, source="/tests", local_authority=COUNCIL)
    async with pool.acquire() as conn:
        await handled(conn, message)
    return message


async def handled(conn: Connection, *messages: Envelope[Any]) -> None:
    """``messages`` handled on ``conn`` as the notifications service's consumer does."""
    await handle_as_service(conn, subscriptions, *messages, service="notifications", outbox=OUTBOX)


async def referral(pool: asyncpg.Pool, **contact_fields: Any) -> Referral:
    """A new referral's contact and its *referral received* event, handled."""
    referral_id = uuid4()
    registered = contact(referral_id, **contact_fields)
    await handle(pool, registered)
    await handle(pool, sample_event(ReferralReceived, referral_id))
    return Referral(referral_id, registered)


async def event_about(
    pool: asyncpg.Pool, referral_id: UUID, event_class: type[DomainEvent]
) -> UUID:
    return (await handle(pool, sample_event(event_class, referral_id))).id


async def statuses(pool: asyncpg.Pool, referral_id: UUID) -> list[tuple[str, str, str | None]]:
    rows = await pool.fetch(
        """SELECT template, status, channel FROM notifications WHERE referral_id = $1
           ORDER BY created_at, id""",
        referral_id,
    )
    return [(r["template"], r["status"], r["channel"]) for r in rows]


async def announced(pool: asyncpg.Pool, referral_id: UUID) -> list[str]:
    """The notifications events in the outbox for the referral, in order."""
    rows = await pool.fetch("SELECT topic FROM outbox WHERE key = $1 ORDER BY id", str(referral_id))
    return [r["topic"].split(".")[1] for r in rows]


async def until(condition: Callable[[], Any], timeout_s: float = 15, what: str = "it") -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.05)
