"""HTTP routes of the referrals service, for caseworkers and partner systems."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

import asyncpg
from fastapi import APIRouter, HTTPException, Response, status

from referrals import repository
from referrals.domain import Step
from referrals.intake import new_referral, take_in
from referrals.schemas import (
    ReferralReceipt,
    ReferralRequest,
    ReferralView,
    StatutoryDeadlines,
    TimelineEntry,
)
from shared.audit import Audit
from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Role, allow, require_council
from shared.events import Sen2Need
from shared.http import NOT_FOUND, UNAVAILABLE, DbConnection, ServiceOutbox
from shared.telemetry import tag_current_span

router = APIRouter(prefix="/v1", tags=["referrals"], responses={**UNAVAILABLE, **AUTH_RESPONSES})


@router.post(
    "/referrals",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferralReceipt,
    dependencies=[allow(Role.CASEWORKER, Role.PARTNER)],
)
async def create_referral(
    body: ReferralRequest,
    conn: DbConnection,
    outbox: ServiceOutbox,
    principal: CurrentPrincipal,
    audit: Audit,
) -> ReferralReceipt:
    """Take in a request for support: store it, start its clock, and set the journey going.
    Partner systems may create referrals for their configured councils; they cannot read
    them back."""
    require_council(principal, [body.local_authority])
    referral = new_referral(uuid4(), body)
    tag_current_span(referral_id=str(referral.referral_id))
    async with conn.transaction():
        # The timeline's first step is the referral-received event; its id is known once the
        # outbox has it, so the step is named after the request here and linked by referral.
        events = await take_in(conn, referral, body, received_event_id=uuid4())
        await outbox.add(conn, events, local_authority=referral.local_authority)
        await audit.record(
            conn,
            "create",
            "referral",
            referral_id=referral.referral_id,
            local_authority=referral.local_authority,
        )
    return ReferralReceipt(
        id=referral.referral_id,
        status=Step.RECEIVED,
        local_authority=referral.local_authority,
        received_on=referral.received_on,
    )


@router.get(
    "/referrals/{referral_id}",
    response_model=ReferralView,
    responses=NOT_FOUND,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def get_referral(referral_id: UUID, conn: DbConnection, audit: Audit) -> ReferralView:
    """Where a referral stands: status, statutory deadlines and every step so far."""
    # One snapshot for the row and its timeline: a step committing between two reads
    # would otherwise show a timeline ahead of the status.
    async with conn.transaction(isolation="repeatable_read"):
        found = await repository.get_referral(conn, referral_id)
        if found is None:  # unknown, or another council's: the same answer
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        await audit.record(
            conn,
            "read",
            "referral",
            referral_id=referral_id,
            local_authority=found[0]["local_authority"],
        )
    return _view(*found)


@router.post(
    "/referrals/{referral_id}/family-link/revoke",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=NOT_FOUND,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def revoke_family_links(referral_id: UUID, conn: DbConnection, audit: Audit) -> Response:
    """Stop every link sent to the family so far from opening the family view (a message
    went to the wrong person, say); links in later messages work."""
    async with conn.transaction():
        found = await repository.get_referral(conn, referral_id)
        if found is None or not await repository.revoke_family_links(conn, referral_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        await audit.record(
            conn, "update", "family-links", referral_id=referral_id,
            local_authority=found[0]["local_authority"],
        )  # fmt: skip
    return Response(status_code=status.HTTP_204_NO_CONTENT)


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
