"""Advice received on the EHC clock with its document (SEND Regulations 2014, regs 6 and 8):
one path for every sender who returns advice as a document, an adviser through their link and
a school's SENCo uploading the school's educational advice. Received today, as a caseworker's
record of it would be (``POST .../advice-requests/{kind}/received``): the deadline met, the
step on the timeline, ``AdviceReceived`` (with the document and any summary) for plans'
section K."""

from __future__ import annotations

from uuid import UUID

from referrals import ehc_api, ehc_repository
from referrals.statutory import AdviceKind, OutOfOrder
from shared.dates import london_today
from shared.events import AdviceSummary
from shared.unit_of_work import UnitOfWork


class AdviceNotAsked(LookupError):
    """The council has not asked for this advice (no EHC request, or not this kind)."""


async def receive_with_document(
    uow: UnitOfWork,
    referral_id: UUID,
    kind: AdviceKind,
    document_id: UUID,
    summary: AdviceSummary | None = None,
) -> None:
    """The advice received today, in ``uow``; ``AdviceNotAsked``, or ``OutOfOrder`` when it
    was received already or the request is closed (nothing recorded then)."""
    found = await ehc_repository.load(uow.conn, referral_id)
    if found is None:
        raise AdviceNotAsked(f"no EHC request for referral {referral_id}")
    request, _ = found
    requested = await ehc_repository.advice_requested(uow.conn, referral_id)
    if kind.value not in requested:
        raise AdviceNotAsked(f"{kind.value} advice was not asked for")
    today = london_today()
    event = request.receive_advice(
        kind,
        requested[kind.value],
        today,
        today,
        document_id=document_id,
        summary=summary,
        advisers_received_on=await ehc_repository.advisers_received(
            uow.conn, referral_id, kind.value
        ),
    )
    if not await ehc_repository.receive_advice(uow.conn, referral_id, kind.value, today):
        raise OutOfOrder("this advice has already been received: thank you")
    await ehc_api.record_step(uow, event, kind.value)
