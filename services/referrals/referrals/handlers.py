"""Kafka subscribers of the referrals service: every downstream step lands on the timeline."""

from __future__ import annotations

from referrals import repository
from referrals.domain import STEP_OF_EVENT, status_after
from shared.db import Connection
from shared.events import DomainEvent, EventEnvelope
from shared.runtime import ServiceRuntime


async def record_step(conn: Connection, event: DomainEvent, envelope: EventEnvelope) -> None:
    step, service = STEP_OF_EVENT[type(event)]
    steps = await repository.add_step(
        conn,
        referral_id=event.referral_id,
        event_id=envelope.id,
        step=step,
        service=service,
        occurred_at=envelope.time,
    )
    await repository.set_status(conn, event.referral_id, status_after(steps))


def register(runtime: ServiceRuntime) -> None:
    for event_class in STEP_OF_EVENT:
        runtime.consumers.subscribe(event_class, record_step)
