"""Kafka subscribers of the notifications service.

An alert is stored first and delivered when the family's contact is known; if the contact
arrives after the event (they travel on different topics) the alert goes out then.
"""

from __future__ import annotations

from notifications import repository
from notifications.channels import FamilyChannel
from notifications.domain import TEMPLATES, FamilyAlert, FamilyContact, alert_for, sent
from shared.db import Connection
from shared.events import DomainEvent, EventEnvelope, FamilyContactRegistered
from shared.outbox import add_to_outbox
from shared.runtime import ServiceRuntime


def register(runtime: ServiceRuntime, channel: FamilyChannel, tracking_url: str) -> None:
    source = runtime.settings.event_source

    async def deliver(conn: Connection, alert: FamilyAlert, contact: FamilyContact) -> None:
        await channel.send(alert, contact)
        await repository.mark_sent(conn, alert, channel.name)
        await add_to_outbox(
            conn, sent(alert, channel.name), source=source, local_authority=alert.local_authority
        )

    async def on_family_event(
        conn: Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        alert = alert_for(
            event,
            event_id=envelope.id,
            local_authority=envelope.localauthority,
            tracking_url=tracking_url,
        )
        if not await repository.add_alert(conn, alert):
            return
        contact = await repository.contact_for(conn, event.referral_id)
        if contact is not None:
            await deliver(conn, alert, contact)

    async def on_contact(
        conn: Connection, event: FamilyContactRegistered, envelope: EventEnvelope
    ) -> None:
        await repository.save_contact(conn, event)
        contact = await repository.contact_for(conn, event.referral_id)
        assert contact is not None  # saved just above
        for alert in await repository.awaiting(conn, event.referral_id):
            await deliver(conn, alert, contact)

    runtime.consumers.subscribe(FamilyContactRegistered, on_contact)
    for event_class in TEMPLATES:
        runtime.consumers.subscribe(event_class, on_family_event)
