"""HTTP routes of the specialists service."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from shared.audit import Audit
from shared.auth import AUTH_RESPONSES, Role, allow
from shared.http import NOT_FOUND, UNAVAILABLE, DbConnection
from specialists import repository

router = APIRouter(prefix="/v1", tags=["specialists"], responses={**UNAVAILABLE, **AUTH_RESPONSES})


class AllocationView(BaseModel):
    id: UUID
    referral_id: UUID
    plan_id: UUID
    status: str
    specialist_id: UUID
    display_name: str
    specialism: str
    created_at: datetime


@router.get(
    "/referrals/{referral_id}/allocation",
    response_model=AllocationView,
    responses=NOT_FOUND,
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def get_allocation_for_referral(
    referral_id: UUID, conn: DbConnection, audit: Audit
) -> AllocationView:
    """The specialist matched to the referral."""
    row = await repository.allocation_for_referral(conn, referral_id)
    if row is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"no specialist allocated to referral {referral_id}"
        )
    await audit.record(
        conn, "read", "allocation", referral_id=referral_id, local_authority=row["local_authority"]
    )
    return AllocationView(**dict(row))
