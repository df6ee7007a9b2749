"""Kafka subscribers of the referrals service: every downstream step lands on the timeline."""

from __future__ import annotations

from typing import Any

from referrals import repository
from referrals.domain import STEP_OF_EVENT, status_after
from referrals.intake import new_referral, take_in
from referrals.schemas import ReferralRequest
from shared.events import (
    Envelope,
    NotificationDelivered,
    NotificationSent,
    PlanDrafted,
    ReferralRequested,
    ReferralWaitlisted,
    SpecialistAssigned,
)
from shared.subscriptions import Conn, Events, Subscriptions

subscriptions = Subscriptions()


@subscriptions.on(ReferralRequested)
async def referral_requested(message: Envelope[ReferralRequested], conn: Conn) -> Events:
    """A referral arriving on the intake topic: the same rules as ``POST /v1/referrals``. An
    invalid request is dead-lettered at once, naming each field (never its value)."""
    body = ReferralRequest.model_validate(message.data.request)
    if body.local_authority != message.localauthority:
        raise ValueError("local_authority: differs from the event's localauthority")
    referral = new_referral(message.data.referral_id, body)
    return await take_in(conn, referral, body, received_event_id=message.id)


async def _record(conn: Conn, message: Envelope[Any]) -> Events:
    step, service = STEP_OF_EVENT[type(message.data)]
    # An unknown referral raises LookupError: dead-lettered at once (it never heals).
    steps = await repository.add_step(
        conn,
        referral_id=message.data.referral_id,
        event_id=message.id,
        step=step,
        service=service,
        occurred_at=message.time,
    )
    await repository.set_status(conn, message.data.referral_id, status_after(steps))
    return []


@subscriptions.on(PlanDrafted)
async def plan_drafted(message: Envelope[PlanDrafted], conn: Conn) -> Events:
    return await _record(conn, message)


@subscriptions.on(ReferralWaitlisted)
async def referral_waitlisted(message: Envelope[ReferralWaitlisted], conn: Conn) -> Events:
    return await _record(conn, message)


@subscriptions.on(SpecialistAssigned)
async def specialist_assigned(message: Envelope[SpecialistAssigned], conn: Conn) -> Events:
    return await _record(conn, message)


@subscriptions.on(NotificationSent)
async def notification_sent(message: Envelope[NotificationSent], conn: Conn) -> Events:
    return await _record(conn, message)


@subscriptions.on(NotificationDelivered)
async def notification_delivered(message: Envelope[NotificationDelivered], conn: Conn) -> Events:
    return await _record(conn, message)
