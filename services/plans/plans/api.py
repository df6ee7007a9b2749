"""HTTP routes of the plans service."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from plans import repository
from shared.runtime import ServiceRuntime


class SupportPlanView(BaseModel):
    id: UUID
    referral_id: UUID
    status: str
    primary_need: str
    area_of_need: str
    specialism: str
    sections: dict[str, Any]
    created_at: datetime


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["plans"])

    @api.get("/referrals/{referral_id}/plan", response_model=SupportPlanView)
    async def plan_for_referral(referral_id: UUID) -> SupportPlanView:
        row = await repository.plan_for_referral(runtime.pool, referral_id)
        if row is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"no plan yet for referral {referral_id}"
            )
        return SupportPlanView(**{**dict(row), "sections": json.loads(row["sections"])})

    return api
