"""Kafka subscribers of the plans service."""

from __future__ import annotations

from plans import repository
from plans.domain import draft_plan
from shared.events import Envelope, ReferralReceived
from shared.subscriptions import Conn, Events, Subscriptions

subscriptions = Subscriptions()


@subscriptions.on(ReferralReceived)
async def draft_plan_for_referral(message: Envelope[ReferralReceived], conn: Conn) -> Events:
    """Every referral gets a first draft of its support plan at once."""
    plan, drafted = draft_plan(message.data)
    return [drafted] if await repository.add_draft(conn, plan) else []
