"""Taking in a referral: the one path shared by ``POST /v1/referrals`` and the intake topic
(bulk intake, partner systems' batches), so both apply the same rules."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from referrals import repository
from referrals.domain import NewReferral, Step, receive
from referrals.schemas import ReferralRequest
from shared.db import Connection
from shared.events import FamilyContactRegistered, ReferralReceived


def new_referral(referral_id: UUID, body: ReferralRequest) -> NewReferral:
    return NewReferral(
        referral_id=referral_id,
        local_authority=body.local_authority,
        received_on=body.received_on or datetime.now(UTC).date(),
        requested_by=body.requested_by,
        primary_need=body.primary_need,
        postcode=body.child.postcode,
        contact=body.family_contact,
    )


async def take_in(
    conn: Connection, referral: NewReferral, body: ReferralRequest, *, received_event_id: UUID
) -> tuple[ReferralReceived, FamilyContactRegistered]:
    """Store the child and the referral and its first timeline step (``received_event_id``
    names it); returns the events it causes. Runs in the caller's transaction."""
    created_at = await repository.add_referral(
        conn,
        referral,
        nhs_number=body.child.nhs_number,
        given_name=body.child.given_name,
        family_name=body.child.family_name,
        date_of_birth=body.child.date_of_birth,
    )
    await repository.add_step(
        conn,
        referral_id=referral.referral_id,
        event_id=received_event_id,
        step=Step.RECEIVED,
        service="referrals",
        occurred_at=created_at,
    )
    return receive(referral)
