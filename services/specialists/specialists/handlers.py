"""Kafka subscribers of the specialists service."""

from __future__ import annotations

from shared.events import Envelope, PlanDrafted
from shared.subscriptions import Conn, Events, Subscriptions
from specialists import repository
from specialists.domain import allocate

subscriptions = Subscriptions()


@subscriptions.on(PlanDrafted)
async def match_specialist(message: Envelope[PlanDrafted], conn: Conn) -> Events:
    """A drafted plan gets a specialist close to home, or a place on the waitlist."""
    plan = message.data
    if await repository.already_decided(conn, plan.referral_id):
        return []
    candidates = await repository.candidates_for_update(
        conn, plan.local_authority, plan.required_specialism
    )
    outcome = allocate(candidates, plan)
    await repository.record(conn, outcome)
    return [outcome]
