"""HTTP routes of the notifications service."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from notifications import repository
from shared.runtime import ServiceRuntime


class NotificationView(BaseModel):
    """An alert's state; no address or text (personal data)."""

    id: UUID
    template: str
    status: str
    channel: str | None
    created_at: datetime
    sent_at: datetime | None


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["notifications"])

    @api.get("/referrals/{referral_id}/notifications", response_model=list[NotificationView])
    async def notifications_for(referral_id: UUID) -> list[NotificationView]:
        rows = await repository.notifications_for(runtime.pool, referral_id)
        return [NotificationView(**dict(r)) for r in rows]

    return api
