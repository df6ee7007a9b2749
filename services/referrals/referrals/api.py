"""HTTP routes of the referrals service."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import asyncpg
from fastapi import APIRouter, HTTPException, status

from referrals import repository
from referrals.domain import NewReferral, Step, receive
from referrals.schemas import ReferralRequest, ReferralView, StatutoryDeadlines, TimelineEntry
from shared.events import Sen2Need
from shared.http import NOT_FOUND, UNAVAILABLE, DbConnection, ServiceOutbox
from shared.telemetry import tag_current_span

router = APIRouter(prefix="/v1", tags=["referrals"], responses=UNAVAILABLE)


@router.post("/referrals", status_code=status.HTTP_201_CREATED, response_model=ReferralView)
async def create_referral(
    body: ReferralRequest, conn: DbConnection, outbox: ServiceOutbox
) -> ReferralView:
    """Take in a request for support: store it, start its clock, and set the journey going."""
    referral = NewReferral(
        referral_id=uuid4(),
        local_authority=body.local_authority,
        received_on=body.received_on or datetime.now(UTC).date(),
        requested_by=body.requested_by,
        primary_need=body.primary_need,
        postcode=body.child.postcode,
        contact=body.family_contact,
    )
    tag_current_span(referral_id=str(referral.referral_id))
    events = receive(referral)
    async with conn.transaction():
        created_at = await repository.add_referral(
            conn,
            referral,
            nhs_number=body.child.nhs_number,
            given_name=body.child.given_name,
            family_name=body.child.family_name,
            date_of_birth=body.child.date_of_birth,
        )
        envelopes = await outbox.add(conn, events, local_authority=referral.local_authority)
        await repository.add_step(
            conn,
            referral_id=referral.referral_id,
            event_id=envelopes[0].id,
            step=Step.RECEIVED,
            service="referrals",
            occurred_at=created_at,
        )
        found = await repository.get_referral(conn, referral.referral_id)
    assert found is not None  # written in this very transaction
    return _view(*found)


@router.get("/referrals/{referral_id}", response_model=ReferralView, responses=NOT_FOUND)
async def get_referral(referral_id: UUID, conn: DbConnection) -> ReferralView:
    """Where a referral stands: status, statutory deadlines and every step so far."""
    # One snapshot for the row and its timeline: a step committing between two reads
    # would otherwise show a timeline ahead of the status.
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        found = await repository.get_referral(conn, referral_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
    return _view(*found)


def _view(referral: asyncpg.Record, timeline: list[asyncpg.Record]) -> ReferralView:
    start: datetime = referral["created_at"]
    return ReferralView(
        id=referral["id"],
        status=Step(referral["status"]),
        local_authority=referral["local_authority"],
        requested_by=referral["requested_by"],
        primary_need=Sen2Need(referral["primary_need"]),
        received_on=referral["received_on"],
        deadlines=StatutoryDeadlines(
            decision_due=referral["decision_due"],
            draft_plan_due=referral["draft_plan_due"],
            final_plan_due=referral["final_plan_due"],
        ),
        timeline=[
            TimelineEntry(
                step=Step(t["step"]),
                service=t["service"],
                at=t["occurred_at"],
                seconds_since_referral=round((t["occurred_at"] - start).total_seconds(), 3),
            )
            for t in timeline
        ],
    )
