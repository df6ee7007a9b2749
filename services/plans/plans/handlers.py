"""Kafka subscribers of the plans service."""

from __future__ import annotations

from plans import family_repository, repository
from plans.domain import draft_plan
from shared.events import Envelope, FamilyLinksRevoked, ReferralReceived
from shared.subscriptions import Conn, Events, Subscriptions

subscriptions = Subscriptions()


@subscriptions.on(ReferralReceived)
async def draft_plan_for_referral(message: Envelope[ReferralReceived], conn: Conn) -> Events:
    """Every referral gets a first draft of its support plan at once."""
    plan, drafted = draft_plan(message.data)
    return [drafted] if await repository.add_draft(conn, plan) else []


@subscriptions.on(FamilyLinksRevoked)
async def stop_revoked_family_links(message: Envelope[FamilyLinksRevoked], conn: Conn) -> Events:
    """A caseworker revoked the family's links in referrals: they stop opening the plan too."""
    revoked = message.data
    await family_repository.links_revoked(
        conn, revoked.referral_id, revoked.local_authority, revoked.revoked_at
    )
    return []
