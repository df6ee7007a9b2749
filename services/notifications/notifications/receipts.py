"""Delivery receipts: GOV.UK Notify's callbacks (on a route authenticated with the bearer token
set in Notify's Callbacks settings) and, should one be lost, polling Notify for messages with
no final status. Either way the receipt updates the message's status and publishes *notification
delivered* (the timeline's "family notified") once: one unit of work of the service's own, its
events continuing the trace of the event the message was about.

(Longer than most modules: a receipt's two ways in, Notify's callback and the poller, and the
record they share, read together.)"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import HTTPBearer
from pydantic import BaseModel, Field

from notifications import deliveries, gate
from notifications.channels import Provider, Remote, Unavailable
from notifications.config import ANY_COUNCIL
from notifications.domain import Channel
from notifications.state import state_of
from shared.councils import ALL
from shared.db import Connection
from shared.http import UNAVAILABLE, Problem
from shared.state import ServiceState, service_of
from shared.unit_of_work import Actor, UnitOfWork, Work

logger = logging.getLogger(__name__)

SERVICE = Actor.system("notifications")
"""Who records a message's delivery: the service itself (the sender, a receipt)."""


async def record_receipt(
    work: Work,
    notification_id: UUID,
    channel: Channel,
    remote: Remote,
    at: datetime,
    councils: list[str] | str = ALL,
    conn: Connection | None = None,
) -> bool:
    """Apply a provider's status for one message (on ``conn``, a request's, or one of the
    pool); False if the message is not known here (or to ``councils``)."""
    async with work.begin(SERVICE, councils=councils, conn=conn) as uow:
        return await apply_receipt(uow, notification_id, channel, remote, at)


async def apply_receipt(
    uow: UnitOfWork, notification_id: UUID, channel: Channel, remote: Remote, at: datetime
) -> bool:
    """A provider's status for one message, in a unit of work already open (the sender's
    round's); False if the message is not known there."""
    status = deliveries.Status(notification_id, channel, remote.provider_id, remote.status, at)
    return (await apply_receipts(uow, [status]))[0]


async def apply_receipts(uow: UnitOfWork, statuses: list[deliveries.Status]) -> list[bool]:
    """Providers' statuses, in a unit of work already open, a few statements for them all
    (``deliveries.receipts``): for each, False if its message is not known there."""
    found = await deliveries.receipts(uow.conn, statuses)
    for receipt in found:
        if receipt is not None:
            # Continued in the trace of the event the message was about: one trace, one journey.
            uow.add(*receipt.events, local_authority=receipt.local_authority,
                    trace=receipt.trace_headers)  # fmt: skip
    return [receipt is not None for receipt in found]


@dataclass(frozen=True)
class Receipt:
    """A provider's status for one message, and the councils it may reach (its token's), as
    the route hands it to ``receipt_batches``."""

    notification_id: UUID
    channel: Channel
    remote: Remote
    at: datetime
    councils: tuple[str, ...] | str


class NotifyReceipt(BaseModel):
    """What GOV.UK Notify posts for each message's final status. ``to`` (the address) is read
    by nobody: it is neither stored nor logged."""

    id: str = Field(description="Notify's id of the message")
    reference: str | None = Field(description="Ours: the message id")
    status: str = Field(examples=["delivered", "permanent-failure"])
    notification_type: Literal["email", "sms", "letter"]
    created_at: datetime | None = None
    completed_at: datetime | None = None
    sent_at: datetime | None = None


router = APIRouter(prefix="/v1/notify", tags=["delivery receipts"], responses=UNAVAILABLE)
RECEIPTS = "/v1/notify/receipts"
"""The receipts' path (its route's, below)."""
UNTRACED = f"{RECEIPTS}$"
"""The receipts' path, as OpenTelemetry's excluded URLs match it: no server span of its own."""


class CallbackToken(HTTPBearer):
    """GOV.UK Notify's callback token, OpenAPI's "Notify callback token" scheme: the councils
    whose token a request bears, compared in constant time with each council's (401 if none).

    Checked in the scheme itself rather than in a dependency on it: FastAPI resolves each
    dependency of each request in turn, and receipts come by the thousand (one dependency
    fewer, with ``received`` below, ~20% of a receipt's HTTP path in process, #25)."""

    async def __call__(self, request: Request) -> list[str]:  # type: ignore[override]  # the councils the credentials are good for, not the credentials
        credentials = await super().__call__(request)
        tokens = state_of(request).notify_callback_tokens
        offered = credentials.credentials.encode() if credentials else b""
        matched = [
            council
            for council, token in tokens.items()
            if offered and hmac.compare_digest(offered, token.get_secret_value().encode())
        ]
        if not matched:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "a delivery receipt must bear the callback token set in GOV.UK Notify",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return matched


councils_of_token = CallbackToken(auto_error=False, scheme_name="Notify callback token")
"""The councils whose Notify callback token a request bears (a route's dependency)."""


def received() -> Response:
    """The 204 a receipt is answered with, made here rather than by FastAPI from the route's
    ``None`` (its serialising of nothing, a few % of a receipt's HTTP path, #25); the same
    headers. A new one each time: the middlewares add their headers to its list."""
    return Response(status_code=status.HTTP_204_NO_CONTENT, media_type="application/json")


@router.post(
    "/receipts",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={401: {"model": Problem, "description": "Not Notify's callback token"}},
)
async def receive_delivery_receipt(
    receipt: NotifyReceipt,
    request: Request,
    councils: Annotated[list[str], Depends(councils_of_token)],
) -> Response:
    """GOV.UK Notify's delivery receipt for one message (its Callbacks settings point here),
    committed with the others arriving with it (``receipt_batches``) before the 204."""
    # The service's units of work read here, not through a ``ServiceWork`` dependency: one
    # dependency fewer for FastAPI to resolve for each receipt (#25).
    work = service_of(request).work
    try:
        notification_id = UUID(receipt.reference or "")
    except ValueError:
        return received()  # not one of ours (another system sharing the Notify service)
    at = receipt.completed_at or receipt.sent_at or datetime.now().astimezone()
    remote = Remote(receipt.id, receipt.status)
    await state_of(request).receipts.record(
        work,
        Receipt(
            notification_id, receipt.notification_type, remote, at,
            # Only the councils whose token it bears ('*': the settings every other council uses).
            councils=ALL if ANY_COUNCIL in councils else tuple(councils),
        ),
    )  # fmt: skip
    logger.debug("receipt for message %s: %s", notification_id, receipt.status)
    return received()


class ReceiptPoller:
    """Asks Notify about messages with no receipt long after they were sent."""

    def __init__(
        self,
        provider_for: Callable[[str], Provider | None],
        *,
        after: timedelta,
        interval_s: float,
        burst: int,
        clock: Callable[[], datetime],
        batch_size: int = 50,
    ) -> None:
        self._provider_for = provider_for
        self._after = after
        self._interval_s = interval_s
        self._burst = burst
        self._clock = clock
        self._batch_size = batch_size

    async def run(self, state: ServiceState) -> None:
        while True:
            try:
                await self.poll(state.work)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("receipt poller paused: %s", type(exc).__name__)
            await asyncio.sleep(self._interval_s)

    async def poll(self, work: Work) -> int:
        """Ask about one batch (recorded through ``work``, the service's units of work);
        returns how many statuses were applied."""
        pool = work.pool()
        async with pool.acquire() as conn:
            due = await deliveries.awaiting_receipt(
                conn, now=self._clock(), after=self._after, limit=self._batch_size
            )
        applied = 0
        for item in due:
            provider = self._provider_for(item.local_authority)
            if provider is None:
                continue
            if provider.limit_key is not None:
                async with pool.acquire() as conn, conn.transaction():
                    wait_s = await gate.take(
                        conn, provider.limit_key, now=self._clock(), burst=self._burst,
                        per_minute=provider.rate_per_minute,
                    )  # fmt: skip
                if wait_s > 0:
                    return applied  # sending comes first; asked again next round
            try:
                remote = await provider.status(item.provider_id)
            except Unavailable:
                return applied
            if remote is not None:
                await record_receipt(work, item.notification_id, item.channel, remote,
                                     self._clock())  # fmt: skip
                applied += 1
        return applied
