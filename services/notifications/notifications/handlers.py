"""Kafka subscribers of the notifications service.

An alert is stored first and delivered when the family's contact is known; if the contact
arrives after the event (they travel on different topics) the alert goes out then. Both
handlers take a per-referral lock first: without it, an alert stored while the contact is
being saved would be seen by neither transaction and never sent.
"""

from __future__ import annotations

from notifications import repository
from notifications.channels import FamilyChannel
from notifications.domain import TEMPLATES, FamilyAlert, FamilyContact, alert_for, sent
from shared.db import Connection
from shared.events import DomainEvent, EventEnvelope, FamilyContactRegistered
from shared.outbox import add_to_outbox
from shared.runtime import ServiceRuntime


class FamilyAlerts:
    """Turns events into alerts and delivers them once the family can be reached."""

    def __init__(self, channel: FamilyChannel, *, tracking_url: str, source: str) -> None:
        self._channel = channel
        self._tracking_url = tracking_url
        self._source = source

    async def on_family_event(
        self, conn: Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        await repository.lock_referral(conn, event.referral_id)
        alert = alert_for(
            event,
            event_id=envelope.id,
            local_authority=envelope.localauthority,
            tracking_url=self._tracking_url,
        )
        if not await repository.add_alert(conn, alert):
            return
        contact = await repository.contact_for(conn, event.referral_id)
        if contact is not None:
            await self._deliver(conn, alert, contact)

    async def on_contact(
        self, conn: Connection, event: FamilyContactRegistered, envelope: EventEnvelope
    ) -> None:
        await repository.lock_referral(conn, event.referral_id)
        await repository.save_contact(conn, event)
        contact = await repository.contact_for(conn, event.referral_id)
        assert contact is not None  # saved just above
        for alert in await repository.awaiting(conn, event.referral_id):
            await self._deliver(conn, alert, contact)

    async def _deliver(self, conn: Connection, alert: FamilyAlert, contact: FamilyContact) -> None:
        await self._channel.send(alert, contact)
        await repository.mark_sent(conn, alert, self._channel.name)
        await add_to_outbox(
            conn,
            sent(alert, self._channel.name),
            source=self._source,
            local_authority=alert.local_authority,
        )


def register(runtime: ServiceRuntime, channel: FamilyChannel, tracking_url: str) -> None:
    alerts = FamilyAlerts(channel, tracking_url=tracking_url, source=runtime.settings.event_source)
    runtime.consumers.subscribe(FamilyContactRegistered, alerts.on_contact)
    for event_class in TEMPLATES:
        runtime.consumers.subscribe(event_class, alerts.on_family_event)
