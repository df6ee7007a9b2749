"""The plans service in-process against a fresh database of its own (real PostgreSQL, the
application role, row-level security), signed in through the development identity provider,
plans drafted as the ``ReferralReceived`` handler drafts them, and events handed to plans'
handlers as its consumer hands them (``handled``). No Kafka: the events a request or a
handler causes are read from the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from fastapi import FastAPI
from plans import repository
from plans.app import PUBLISHES, create_app
from plans.catalogue_store import shipped_in_force
from plans.config import PlansSettings
from plans.domain import draft_plan
from plans.handlers import subscriptions
from pydantic import SecretStr

from scripts.platform import IdentityProvider, service_url
from shared.batches import batch_consumer
from shared.dates import london_today
from shared.db import Connection
from shared.events import Envelope, ReferralReceived, Sen2Need, Track
from shared.family_links import mint
from shared.migrations import owner_connection
from shared.outbox import Outbox
from shared.state import service_state
from shared.unit_of_work import Work
from tests.integration.referrals_app import LEEDS
from tests.plan_documents import prepared_ehc_plan

OUTBOX = Outbox(source="/send-platform/plans", declared=PUBLISHES)

FAMILY_LINK_KEY = SecretStr("plans-tests-family-link-key-0123456789")


@asynccontextmanager
async def plans_service(
    owner_url: str, identity: IdentityProvider, **settings: Any
) -> AsyncIterator[FastAPI]:
    app = create_app(
        PlansSettings(
            database_url=service_url(owner_url),
            oidc_issuer=identity.issuer,
            family_link_key=FAMILY_LINK_KEY,
            **settings,
        )
    )
    await service_state(app).database.open()
    try:
        yield app
    finally:
        await service_state(app).database.close()


async def drafted(
    owner_url: str,
    *,
    track: Track = "support",
    council: str = LEEDS,
    issue_decided: bool = False,
    final_plan_due: date | None = None,
    referral_id: UUID | None = None,
) -> UUID:
    """A referral's first draft, stored as the plans service stores it; its referral id. An
    EHC plan the council decided to issue is stored as a caseworker made it ready to issue
    (``prepared_ehc_plan``)."""
    received = london_today() - timedelta(weeks=14)
    referral = ReferralReceived(
        referral_id=referral_id or uuid4(), local_authority=council, received_on=received,
        primary_need=Sen2Need.SLCN, requested_by="parent", postcode_district="LS6",
        decision_due=received + timedelta(weeks=6),
        final_plan_due=final_plan_due or received + timedelta(weeks=20), track=track,
    )  # fmt: skip
    plan, _ = draft_plan(referral, None, shipped_in_force(referral.local_authority))
    if issue_decided and track == "ehc":
        due = referral.final_plan_due or london_today()
        plan = replace(plan, document=prepared_ehc_plan(plan.document, due))
    conn = await owner_connection(owner_url)
    try:
        assert await repository.add_draft(conn, plan)
        if issue_decided:
            await repository.set_dates(conn, referral.referral_id, issue_decided=True)
    finally:
        await conn.close()
    return referral.referral_id


def family_token(referral_id: UUID, council: str = LEEDS) -> str:
    return mint(
        FAMILY_LINK_KEY, referral_id=referral_id, local_authority=council,
        valid_for=timedelta(days=30),
    )  # fmt: skip


async def owner_fetch(owner_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await owner_connection(owner_url)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


def _no_pool() -> asyncpg.Pool:
    raise AssertionError("a handler runs on its batch's connection, never the pool's")


WORK = Work(_no_pool, OUTBOX)
"""Plans' units of work on a connection the test gives (``begin(conn=...)``, ``within``)."""


async def handled(conn: Connection, *messages: Envelope[Any]) -> None:
    """Each message handed to plans' handler of its type as plans' consumer hands it
    (``shared.batches``: acting for the event's council, one unit of work of the service's
    own, or of whose work the handler does; the events it returns to the outbox with their
    audit rows), in ``conn``'s open transaction."""
    for message in messages:
        [subscription] = [s for s in subscriptions if s.event_class.event_type() == message.type]
        await batch_consumer(subscription, WORK, "plans")([message], conn)
