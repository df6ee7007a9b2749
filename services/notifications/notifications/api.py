"""HTTP routes of the notifications service."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from notifications import repository
from shared.audit import Audit
from shared.auth import AUTH_RESPONSES, Role, allow
from shared.http import UNAVAILABLE, DbConnection

router = APIRouter(
    prefix="/v1", tags=["notifications"], responses={**UNAVAILABLE, **AUTH_RESPONSES}
)


class NotificationView(BaseModel):
    """An alert's state; no address or text (personal data)."""

    id: UUID
    template: str
    status: str
    channel: str | None
    created_at: datetime
    sent_at: datetime | None


@router.get(
    "/referrals/{referral_id}/notifications",
    response_model=list[NotificationView],
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)
async def list_notifications_for_referral(
    referral_id: UUID, conn: DbConnection, audit: Audit
) -> list[NotificationView]:
    """Every alert about the referral and where it stands (no text, no address)."""
    rows = await repository.notifications_for(conn, referral_id)
    if rows:
        council = rows[0]["local_authority"]
        await audit.record(
            conn, "read", "notifications", referral_id=referral_id, local_authority=council
        )
    return [NotificationView(**dict(r)) for r in rows]
