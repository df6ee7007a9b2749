"""Kafka subscribers of the plans service."""

from __future__ import annotations

from plans import repository
from plans.domain import draft_plan
from shared.db import Connection
from shared.events import EventEnvelope, ReferralReceived
from shared.outbox import add_to_outbox
from shared.runtime import ServiceRuntime


def register(runtime: ServiceRuntime) -> None:
    source = runtime.settings.event_source

    async def on_referral_received(
        conn: Connection, referral: ReferralReceived, envelope: EventEnvelope
    ) -> None:
        plan, drafted = draft_plan(referral)
        if await repository.add_draft(conn, plan):
            await add_to_outbox(
                conn, drafted, source=source, local_authority=envelope.localauthority
            )

    runtime.consumers.subscribe(ReferralReceived, on_referral_received)
