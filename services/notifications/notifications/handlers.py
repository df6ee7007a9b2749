"""Kafka subscribers of the notifications service.

Every event in the message catalogue (``catalogue.CATALOGUE``) becomes its messages' rows:
queued when the recipient can be reached (caseworker messages always; a family's once their
contact and their request are both known), waiting otherwise; the contact and the request
(each on its own topic) queue whatever waited. The events come on separate topics, each
consumed on its own, so a later event can arrive first: a family's messages go in the order
their events happened, and none before the acknowledgement of the request.
Nothing is sent here: ``notifications.sender`` sends after these transactions commit.
Both kinds of handler take a per-referral lock first: without it, a message stored while the
contact is being saved would be seen by neither transaction and never queued.
"""

from __future__ import annotations

from typing import Any

from notifications import erasure, link_generations, repository
from notifications.catalogue import CATALOGUE, Audience
from notifications.domain import alerts_for
from shared.audit import record_system
from shared.events import (
    ChildDetailsErased,
    DomainEvent,
    Envelope,
    FamilyContactRegistered,
    FamilyLinksRevoked,
    ReferralReceived,
)
from shared.subscriptions import Conn, Events, Handler, Subscriptions
from shared.telemetry import current_trace_headers

subscriptions = Subscriptions()


async def queue_messages(message: Envelope[Any], conn: Conn) -> Events:
    """Store the messages an event causes (the catalogue's entry for its class)."""
    event = message.data
    await repository.lock_referral(conn, event.referral_id)
    if isinstance(event, ReferralReceived):
        await repository.save_request(conn, event, local_authority=message.localauthority)
    reachable = await repository.family_reachable(conn, event.referral_id)
    for alert in alerts_for(
        event, CATALOGUE[type(event)], event_id=message.id, local_authority=message.localauthority
    ):
        added = await repository.add_alert(
            conn,
            alert,
            queued=reachable or alert.audience is Audience.CASEWORKER,
            occurred_at=message.time,
            trace_headers=current_trace_headers(),  # the send continues this event's trace
        )
        if added:
            await record_system(
                conn,
                "notifications",
                "create",
                "notification",
                referral_id=event.referral_id,
                local_authority=message.localauthority,
            )
    if isinstance(event, ReferralReceived):
        await repository.queue_awaiting(conn, event.referral_id)  # what came before it
    return []


def _handler_of(event_class: type[DomainEvent]) -> Handler:
    """``queue_messages`` under a name of its own for ``event_class`` (the name of its
    operation in the AsyncAPI document)."""

    async def handler(message: Envelope[Any], conn: Conn) -> Events:
        return await queue_messages(message, conn)

    name = "queue_messages_about_" + event_class.name.replace("-", "_")
    handler.__name__ = handler.__qualname__ = name
    return handler


for _event_class in CATALOGUE:
    subscriptions.on(_event_class)(_handler_of(_event_class))


@subscriptions.on(FamilyContactRegistered)
async def family_contact_registered(
    message: Envelope[FamilyContactRegistered], conn: Conn
) -> Events:
    await repository.lock_referral(conn, message.data.referral_id)
    await repository.save_contact(conn, message.data, local_authority=message.localauthority)
    await repository.queue_awaiting(conn, message.data.referral_id)
    return []


@subscriptions.on(FamilyLinksRevoked)
async def family_links_revoked(message: Envelope[FamilyLinksRevoked], conn: Conn) -> Events:
    """A caseworker revoked the family's links: the links in messages sent from now on are of
    the referral's new generation (the earlier ones no longer open anything)."""
    revoked = message.data
    await link_generations.save(
        conn, revoked.referral_id, revoked.generation, local_authority=revoked.local_authority
    )
    return []


@subscriptions.on(ChildDetailsErased)
async def erase_family_contact(message: Envelope[ChildDetailsErased], conn: Conn) -> Events:
    """Retention: referrals erased the child's details; the family's contact details go too."""
    await repository.lock_referral(conn, message.data.referral_id)
    await erasure.erase_family_contact(conn, message.data.referral_id, message.data.local_authority)
    return []
