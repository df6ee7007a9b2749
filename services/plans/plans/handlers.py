"""Kafka subscribers of the plans service. A referral's plan is drafted once its events are
in: the referral received and, when the referrer described the child (``described``), their
words, which come on their own topic in either order. Never log the words."""

from __future__ import annotations

from plans import family_repository, repository
from plans.catalogue_store import catalogue_in_force
from plans.domain import draft_plan
from shared.db import Connection
from shared.events import Envelope, FamilyLinksRevoked, ReferralDescribed, ReferralReceived
from shared.subscriptions import Conn, Events, Subscriptions

subscriptions = Subscriptions()


@subscriptions.on(ReferralReceived)
async def draft_plan_for_referral(message: Envelope[ReferralReceived], conn: Conn) -> Events:
    """Every referral gets a first draft of its support plan at once (with the referrer's
    words when they said something: then whichever of the two events comes second drafts)."""
    referral = message.data
    if not referral.described:
        return await _draft(conn, referral, None)
    return await _keep_then_draft(conn, message.localauthority, referral)


@subscriptions.on(ReferralDescribed)
async def referrer_described_child(message: Envelope[ReferralDescribed], conn: Conn) -> Events:
    """The referrer's words about the child, for sections A and B."""
    return await _keep_then_draft(conn, message.localauthority, message.data)


async def _keep_then_draft(
    conn: Connection, local_authority: str, event: ReferralReceived | ReferralDescribed
) -> Events:
    await repository.wait_for_referral(conn, event.referral_id)
    if await repository.has_plan(conn, event.referral_id):
        return []  # drafted already: a redelivery, or a late copy
    referral, described = await repository.keep_input(conn, local_authority, event)
    if referral is None or described is None:
        return []  # the other one is still to come
    await repository.forget_inputs(conn, referral.referral_id)
    return await _draft(conn, referral, described)


async def _draft(
    conn: Connection, referral: ReferralReceived, described: ReferralDescribed | None
) -> Events:
    catalogue = await catalogue_in_force(conn, referral.local_authority)
    plan, drafted = draft_plan(referral, described, catalogue)
    added = await repository.add_draft(conn, plan)
    return [drafted] if added and drafted is not None else []


@subscriptions.on(FamilyLinksRevoked)
async def stop_revoked_family_links(message: Envelope[FamilyLinksRevoked], conn: Conn) -> Events:
    """A caseworker revoked the family's links in referrals: they stop opening the plan too."""
    revoked = message.data
    await family_repository.links_revoked(
        conn, revoked.referral_id, revoked.local_authority, revoked.revoked_at
    )
    return []
