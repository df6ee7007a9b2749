"""Kafka subscribers of the specialists service."""

from __future__ import annotations

from shared.db import Connection
from shared.events import EventEnvelope, PlanDrafted
from shared.outbox import add_to_outbox
from shared.runtime import ServiceRuntime
from specialists import repository
from specialists.domain import allocate


def register(runtime: ServiceRuntime) -> None:
    source = runtime.settings.event_source

    async def on_plan_drafted(conn: Connection, plan: PlanDrafted, envelope: EventEnvelope) -> None:
        if await repository.already_decided(conn, plan.referral_id):
            return
        candidates = await repository.candidates_for_update(
            conn, plan.local_authority, plan.required_specialism
        )
        outcome = allocate(candidates, plan)
        await repository.record(conn, outcome)
        await add_to_outbox(conn, outcome, source=source, local_authority=envelope.localauthority)

    runtime.consumers.subscribe(PlanDrafted, on_plan_drafted)
