"""The specialists service in-process against a fresh, seeded database of its own (real
PostgreSQL, the application role, row-level security), signed in through the development
identity provider; its Kafka handlers run as the runtime runs them (one transaction, the
event's council, a unit of work of the service's own), their events read from the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any, Literal
from uuid import UUID, uuid4

import asyncpg
from fastapi import FastAPI
from specialists.app import create_app
from specialists.config import SpecialistsSettings
from specialists.handlers import subscriptions

from scripts.platform import IdentityProvider, service_url
from shared.councils import act_for
from shared.db import Connection
from shared.events import (
    ALL_EVENTS,
    AssessmentDecided,
    DomainEvent,
    EhcAssessmentRequested,
    Envelope,
    PlanDrafted,
    Sen2Need,
    wrap,
)
from shared.outbox import Outbox
from shared.specialisms import Specialism
from shared.state import service_state
from shared.unit_of_work import Actor, Work

LEEDS, BRADFORD = "E08000035", "E08000032"
OUTBOX = Outbox(
    source="/send-platform/specialists",
    declared=[e for e in ALL_EVENTS if e.owner == "specialists"],
)


@asynccontextmanager
async def specialists_service(owner_url: str, identity: IdentityProvider) -> AsyncIterator[FastAPI]:
    app = create_app(
        SpecialistsSettings(
            database_url=service_url(owner_url),
            oidc_issuer=identity.issuer,
            rate_limit_post="100000/minute",
        )
    )
    await service_state(app).database.open()
    try:
        yield app
    finally:
        await service_state(app).database.close()


def plan(
    council: str = LEEDS,
    district: str = "LS6",
    need: Sen2Need = Sen2Need.SLCN,
    roles: list[Specialism] | None = None,
    legacy: str | None = None,
    **fields: Any,
) -> PlanDrafted:
    """A drafted plan as the plans service publishes it; ``legacy``: as an older publisher,
    naming only its required specialism."""
    return PlanDrafted(
        referral_id=uuid4(),
        plan_id=uuid4(),
        local_authority=council,
        primary_need=need,
        area_of_need="communication and interaction",
        required_specialism=legacy or str((roles or [Specialism.SPEECH_AND_LANGUAGE_THERAPY])[0]),
        postcode_district=district,
        sections=["B", "E", "F"],
        provision_roles=roles or [],
        **fields,
    )


def ehc_request(referral_id: UUID, council: str, final_plan_due: date) -> EhcAssessmentRequested:
    return EhcAssessmentRequested(
        referral_id=referral_id,
        local_authority=council,
        requested_by="parent",
        ehc_requested_on=final_plan_due,
        escalated=True,
        decision_due=final_plan_due,
        final_plan_due=final_plan_due,
    )


def assessment_decided(
    referral_id: UUID, council: str, decision: Literal["assess", "refuse"] = "assess"
) -> AssessmentDecided:
    """The council's decision whether to assess (the statutory advisers come with "assess")."""
    on = date(2026, 11, 20)
    return AssessmentDecided(
        referral_id=referral_id,
        local_authority=council,
        requested_by="parent",
        ehc_requested_on=date(2026, 11, 2),
        decision=decision,
        decided_on=on,
        decision_due=date(2026, 12, 14),
        on_time=True,
        refusal_reason=None if decision == "assess" else "needs_met_from_available_provision",
        appeal_by=None if decision == "assess" else date(2027, 1, 20),
    )


def _no_pool() -> asyncpg.Pool:
    raise RuntimeError("a handler runs in the transaction it is given")


WORK = Work(_no_pool, OUTBOX)


async def handle(service_pool: asyncpg.Pool, event: DomainEvent) -> list[DomainEvent]:
    """Run specialists' handler of ``event`` as the runtime does: one transaction, acting for
    the event's council, its events put in the outbox with their audit rows."""
    council: str = getattr(event, "local_authority")  # noqa: B009
    message: Envelope[Any] = wrap(event, source="/tests", local_authority=council)
    async with service_pool.acquire() as conn, conn.transaction():
        await act_for(conn, [council])
        return await handled(conn, message)


async def handled(conn: Connection, message: Envelope[Any]) -> list[DomainEvent]:
    """The service's handler of ``message`` run as ``shared.batches`` runs it, in the
    transaction open on ``conn``: a unit of work as ``system:specialists``; the events it
    caused, stored."""
    [handler] = [s.handler for s in subscriptions if isinstance(message.data, s.event_class)]
    async with WORK.within(conn, Actor.system("specialists")) as uow:
        caused = list(await handler(message, uow))
        uow.add(*caused, local_authority=message.localauthority)
    return caused
