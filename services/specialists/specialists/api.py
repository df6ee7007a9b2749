"""HTTP routes of the specialists service."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from shared.runtime import ServiceRuntime
from specialists import repository


class AllocationView(BaseModel):
    id: UUID
    referral_id: UUID
    plan_id: UUID
    status: str
    specialist_id: UUID
    display_name: str
    specialism: str
    created_at: datetime


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["specialists"])

    @api.get("/referrals/{referral_id}/allocation", response_model=AllocationView)
    async def allocation_for_referral(referral_id: UUID) -> AllocationView:
        row = await repository.allocation_for_referral(runtime.pool, referral_id)
        if row is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"no specialist allocated to referral {referral_id}"
            )
        return AllocationView(**dict(row))

    return api
