"""The routes anyone may call, with no account (``/v1/public``): a request made on the
workspace's public form, and its confirmation through the link its contact was sent.

Abuse: every POST here is limited per client address (``RATE_LIMIT_PUBLIC``, besides
``RATE_LIMIT_POST``; behind the workspace and the ingress, the address they pass on in
``X-Forwarded-For``, believed from ``TRUSTED_PROXIES`` only) and bodies are capped
(``MAX_REQUEST_BYTES``); a contact is sent at most ``PUBLIC_REQUEST_MESSAGES_PER_CONTACT``
links a day, so the form cannot be used to flood someone's phone or inbox; a request over that
is kept all the same and answered as any other (the answer never tells whether an address was
used before). A filled honeypot field is answered as a request kept, and nothing is kept. The
rules of intake apply as they do to staff (names, NHS numbers, postcodes, safe text).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Depends, HTTPException, Request, status
from prometheus_client import Counter

from referrals.domain import reference
from referrals.intake import intake_problems
from referrals.public import confirming, store
from referrals.public.rules import contact_key, received, request_problems
from referrals.public.schemas import Confirmation, PublicReceipt, PublicRequest
from referrals.state import State
from shared.auth import Principal
from shared.dates import london_today
from shared.family_links import CONFIRMATION_AUDIENCE, REFUSED, InvalidFamilyLink, verify
from shared.http import UNAVAILABLE, DbConnection, Problem, ServiceWork, actor_of, invalid
from shared.idempotency import IdempotencyKey, key_reused, replayed
from shared.state import ServiceState, on_loop, service_of
from shared.unit_of_work import KeyReused

OUTCOMES = ("kept", "kept-without-link", "honeypot")
PUBLIC_REQUESTS = Counter(
    "send_public_requests",
    "Requests made on the public form: kept (a link to confirm sent, or not: the contact's "
    "daily limit met), or a honeypot filled (answered, not kept)",
    ["outcome"],
    registry=None,
)

router = APIRouter(
    prefix="/v1/public",
    tags=["public requests (no account)"],
    responses={
        **UNAVAILABLE,
        429: {"model": Problem, "description": "Too many requests from this address"},
    },
)


async def as_public(request: Request) -> None:
    """The request acts as the public (no account): audited as ``public``, for no council
    until the route names the one it acts for."""
    request.state.principal = Principal("public", frozenset({"public"}), ())


@router.post(
    "/requests",
    status_code=status.HTTP_201_CREATED,
    response_model=PublicReceipt,
    responses={503: {"model": Problem, "description": "Busy (admission.PublicIntakeGate)"}},
    dependencies=[Depends(as_public)],
)
async def make_request(
    request: Request,
    body: PublicRequest,
    conn: DbConnection,
    work: ServiceWork,
    state: State,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Keep a request made on the public form, dated today (Europe/London), and send its
    contact a link to confirm it. Nothing else happens until it is confirmed."""
    today = london_today()
    if body.honeypot:  # a field people never see: a program filled it
        PUBLIC_REQUESTS.labels("honeypot").inc()
        return PublicReceipt(reference=reference(uuid4()), received_on=today)
    problems = intake_problems(
        state.intake_rules,
        local_authority=body.local_authority,
        requested_on=today,
        today=today,
        born=body.child.date_of_birth,
        nhs_number=body.child.nhs_number,
    )
    problems += request_problems(body, today)
    if problems:
        raise invalid(problems)
    request_id, key = uuid4(), contact_key(body.family_contact)
    try:
        async with work.begin(
            actor_of(request),
            councils=[body.local_authority],
            idempotency_key=idempotency_key,
            request=body.model_dump(mode="json"),
            conn=conn,
        ) as uow:
            if uow.replayed is not None:
                return replayed(uow.replayed)
            sent = await store.confirmations_sent(uow.conn, key)
            ask = sent < state.public_request_messages_per_contact
            await store.keep(
                uow.conn, request_id, body, received_on=today, contact_key=key, asked_to_confirm=ask
            )
            if await store.claim(uow.conn, request_id, body.evidence):
                raise invalid([(("evidence",), "a file is no longer here: upload it again")])
            uow.add(
                *received(request_id, body, today, ask_to_confirm=ask),
                local_authority=body.local_authority,
            )
            receipt = PublicReceipt(reference=reference(request_id), received_on=today)
            uow.answer(status.HTTP_201_CREATED, receipt.model_dump(mode="json"))
    except KeyReused as exc:
        raise key_reused(exc) from exc
    PUBLIC_REQUESTS.labels("kept" if ask else "kept-without-link").inc()
    return receipt


@router.post(
    "/requests/confirm",
    response_model=PublicReceipt,
    responses={401: {"model": Problem, "description": "The link is expired or not a link"}},
    dependencies=[Depends(as_public)],
)
async def confirm_request(
    request: Request,
    body: Confirmation,
    conn: DbConnection,
    work: ServiceWork,
    service: Annotated[ServiceState, Depends(on_loop(service_of))],
) -> PublicReceipt:
    """Confirm a request through the link its contact was sent (its token in the body): it is
    taken in as a referral, dated the day it was received. Confirming again changes nothing."""
    try:
        link = verify(service.family_link_key, body.token, audience=CONFIRMATION_AUDIENCE)
    except InvalidFamilyLink as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, REFUSED) from exc
    request.state.principal = Principal(
        f"request-link:{link.link_id}", frozenset({"public"}), (link.local_authority,)
    )
    async with work.begin(actor_of(request), councils=[link.local_authority], conn=conn) as uow:
        found = await store.locked(uow.conn, link.referral_id)
        if found is None or (found["request"] is None and found["referral_id"] is None):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, REFUSED)  # erased, or not here
        if found["confirmed_at"] is None:
            # A clash with the child's open referral is the caseworkers' to resolve: the family
            # is told their request is confirmed either way (it is), and nothing about it.
            await confirming.confirm(uow, found, by="link", subject=None)
    return PublicReceipt(reference=reference(found["id"]), received_on=found["received_on"])
