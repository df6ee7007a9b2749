"""A confirmed request taken in: through the link its contact was sent, or by a caseworker who
rang them. The one path for both, in the caller's unit of work."""

from __future__ import annotations

from typing import Literal
from uuid import UUID, uuid4

import asyncpg

from referrals import repository
from referrals.domain import ContactStep
from referrals.notices.telling import with_others_told
from referrals.public import store
from referrals.public.schemas import PublicRequest
from referrals.taking_in import Refused, new_referral, take_in
from shared.unit_of_work import UnitOfWork

RESOURCE = "public-request"
"""The audit trail's name for a request made on the public form."""


async def confirm(
    uow: UnitOfWork, found: asyncpg.Record, *, by: Literal["link", "phone"], subject: str | None
) -> Refused | None:
    """Take the request ``found`` (locked) in as a referral with its id, dated the day it was
    received (the EHC clock from then), and record who confirmed it. A child with an open
    referral here (or a known NHS number with other details) stops it: the request stays,
    confirmed, for a caseworker, and the refusal is returned."""
    request_id: UUID = found["id"]
    council: str = found["local_authority"]
    body = PublicRequest.model_validate_json(found["request"])
    as_referral = body.as_referral(found["received_on"])
    try:
        events, _ = await take_in(
            uow.conn, new_referral(request_id, as_referral, found["received_on"]), as_referral.child
        )
    except Refused as refused:
        await store.confirmed(
            uow.conn, request_id, by=by, subject=subject, referral_id=None,
            not_taken_in=refused.code, clashes_with=refused.referral_id,
        )  # fmt: skip
        uow.changed("update", RESOURCE, referral_id=request_id, local_authority=council)
        return refused
    uow.add(*await with_others_told(uow, events), local_authority=council)
    await repository.add_step(
        uow.conn,
        referral_id=request_id,
        event_id=uuid4(),
        step=ContactStep.CONTACT_CONFIRMED,
        service="referrals",
        occurred_at=await uow.conn.fetchval("SELECT now()"),  # the referral's own moment
        detail=by,
    )
    await store.taken_in(uow.conn, request_id)  # its evidence, the referral's now
    await store.set_sharing_consent(uow.conn, request_id, found["sharing_consent"])
    await store.confirmed(uow.conn, request_id, by=by, subject=subject, referral_id=request_id)
    uow.changed("update", RESOURCE, referral_id=request_id, local_authority=council)
    return None
