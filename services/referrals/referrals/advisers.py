"""What an adviser's link opens (SEND Regulations 2014, regs 6 and 8): what is asked of them
and by when, about whom (the child's name and date of birth, the request's reference: not the
record), and the form that returns their advice as a document and a short summary. The advice
is then received on the clock, as a caseworker's record of it would be, with the document and
the summary on ``AdviceReceived`` (plans lists both in section K). No account: the link's
signed token is the key, for one referral and one kind of advice."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile, status
from pydantic import BaseModel, Field

from referrals.advice_received import AdviceNotAsked, receive_with_document
from referrals.documents import repository as documents
from referrals.documents.receiving import DocumentDesk, desk_of, kept, receive
from referrals.documents.store import StoredKey
from referrals.domain import reference
from referrals.ehc_schemas import Note
from referrals.statutory import AdviceKind, InvalidStep, OutOfOrder
from shared.adviser_links import ADVISER_PATH_PREFIX, AdviserLink, InvalidAdviserLink, admit
from shared.events import AdviceSummary
from shared.family_links import LinkToken
from shared.http import CONFLICT, NOT_FOUND, UNAVAILABLE, AsCaller, Problem, invalid

router = APIRouter(
    prefix=ADVISER_PATH_PREFIX,
    tags=["advisers"],
    responses={
        **UNAVAILABLE,
        **NOT_FOUND,
        401: {"model": Problem, "description": "The link is expired or not an adviser's link"},
    },
)


async def adviser_link(request: Request, token: LinkToken) -> AdviserLink:
    """The link in the path, checked; the request then acts for that referral's council."""
    try:
        return admit(request, token)
    except InvalidAdviserLink as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc)) from exc


Link = Annotated[AdviserLink, Depends(adviser_link)]
NO_LONGER_ASKED = "this advice is no longer asked for"


class AdviceAsked(BaseModel):
    """What an adviser needs to give their advice, and whether it has been received."""

    reference: str = Field(description="The request's reference, as the council's letters give it")
    local_authority: str
    kind: AdviceKind
    given_name: str | None = Field(description="The child's (none once erased)")
    family_name: str | None
    date_of_birth: date
    requested_on: date
    due_on: date = Field(description="6 weeks from being asked (Reg 8)")
    received_on: date | None = None


async def _asked(conn: Any, link: AdviserLink) -> AdviceAsked:
    row = await conn.fetchrow(
        """SELECT a.requested_on, a.due_on, a.received_on, c.date_of_birth,
                  CASE WHEN c.erased_at IS NULL THEN c.given_name END AS given_name,
                  CASE WHEN c.erased_at IS NULL THEN c.family_name END AS family_name
           FROM advice_requests a JOIN referrals r ON r.id = a.referral_id
           JOIN children c ON c.id = r.child_id
           WHERE a.referral_id = $1 AND a.kind = $2""",
        link.referral_id,
        link.kind,
    )
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NO_LONGER_ASKED)
    return AdviceAsked(
        reference=reference(link.referral_id),
        local_authority=link.local_authority,
        kind=AdviceKind(link.kind),
        **dict(row),
    )


@router.get("/{token}", response_model=AdviceAsked, dependencies=[Depends(adviser_link)])
async def get_advice_asked(token: LinkToken, link: Link, caller: AsCaller) -> AdviceAsked:
    """What the council asked of this adviser, about whom and by when. Audited as the link's
    read (never a person's)."""
    async with caller.begin() as uow:
        asked = await _asked(uow.conn, link)
        uow.read(
            "advice-request", referral_id=link.referral_id, local_authority=asked.local_authority
        )
    return asked


@router.post(
    "/{token}/advice",
    status_code=status.HTTP_201_CREATED,
    response_model=AdviceAsked,
    responses=CONFLICT,
    dependencies=[Depends(adviser_link)],
)
async def return_advice(
    token: LinkToken,
    link: Link,
    caller: AsCaller,
    desk: Annotated[DocumentDesk, Depends(desk_of)],
    file: Annotated[UploadFile, File(description="The advice: PDF, Word (.docx), JPEG or PNG")],
    needs: Annotated[Note, Form(description="The child's needs, as the adviser found them")],
    outcomes_sought: Annotated[Note, Form(description="The outcomes they advise")],
    provision_recommended: Annotated[Note, Form(description="The provision they recommend")],
) -> AdviceAsked:
    """The adviser's advice: its document (typed by content, 20 MB at most, scanned when a
    scanner is configured: a refusal is a 422 naming ``file`` and nothing is stored) and their
    summary. Received today on the clock, once (409 after)."""
    received = await receive(desk, file)
    summary = AdviceSummary(
        needs=needs, outcomes_sought=outcomes_sought, provision_recommended=provision_recommended
    )
    document = documents.NewDocument(
        id=uuid4(),
        referral_id=link.referral_id,
        local_authority=link.local_authority,
        kind="advice",
        advice_kind=link.kind,
        filename=received.filename,
        checked=received.checked,
        uploaded_by=caller.actor.subject,
    )
    try:
        key = StoredKey(document.id, link.local_authority)
        async with kept(desk, key, received.content), caller.begin() as uow:
            await _receive(uow, link, document.id, summary)
            if await documents.add(uow.conn, document) is None:
                raise OutOfOrder("this file was already received as this advice")
            uow.changed(
                "create", "document",
                referral_id=link.referral_id, local_authority=link.local_authority,
            )  # fmt: skip
            asked = await _asked(uow.conn, link)
    except OutOfOrder as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except InvalidStep as exc:
        raise invalid([((exc.field,), str(exc))]) from exc
    return asked


async def _receive(uow: Any, link: AdviserLink, document_id: UUID, summary: AdviceSummary) -> None:
    """The advice received today on the clock, with its document and summary
    (``referrals.advice_received``: a SENCo's educational advice takes the same path)."""
    try:
        await receive_with_document(
            uow, link.referral_id, AdviceKind(link.kind), document_id, summary
        )
    except AdviceNotAsked as exc:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, "this advice is no longer asked for"
        ) from exc
