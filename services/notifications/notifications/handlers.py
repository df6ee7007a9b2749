"""Kafka subscribers of the notifications service.

An event a family should hear about becomes an alert row, queued when the family's contact is
known and waiting for it otherwise; the contact (on its own topic) queues whatever waited.
Nothing is sent here: ``notifications.sender`` sends after these transactions commit. Both
handlers take a per-referral lock first: without it, an alert stored while the contact is
being saved would be seen by neither transaction and never queued.
"""

from __future__ import annotations

from typing import Any

from notifications import repository
from notifications.domain import alert_for
from shared.events import Envelope, FamilyContactRegistered, ReferralWaitlisted, SpecialistAssigned
from shared.subscriptions import Conn, Events, Subscriptions
from shared.telemetry import current_trace_headers

subscriptions = Subscriptions()


async def _alert_family(conn: Conn, message: Envelope[Any]) -> Events:
    event = message.data
    await repository.lock_referral(conn, event.referral_id)
    alert = alert_for(event, event_id=message.id, local_authority=message.localauthority)
    await repository.add_alert(
        conn,
        alert,
        queued=await repository.has_contact(conn, event.referral_id),
        trace_headers=current_trace_headers(),  # the send continues this event's trace
    )
    return []


@subscriptions.on(SpecialistAssigned)
async def specialist_assigned(message: Envelope[SpecialistAssigned], conn: Conn) -> Events:
    return await _alert_family(conn, message)


@subscriptions.on(ReferralWaitlisted)
async def referral_waitlisted(message: Envelope[ReferralWaitlisted], conn: Conn) -> Events:
    return await _alert_family(conn, message)


@subscriptions.on(FamilyContactRegistered)
async def family_contact_registered(
    message: Envelope[FamilyContactRegistered], conn: Conn
) -> Events:
    await repository.lock_referral(conn, message.data.referral_id)
    await repository.save_contact(conn, message.data, local_authority=message.localauthority)
    await repository.queue_awaiting(conn, message.data.referral_id)
    return []
