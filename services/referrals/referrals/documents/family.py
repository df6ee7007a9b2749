"""The documents a family reads through their link (no account: the link's signed token is
the key, scoped to one referral, expiring, revocable): those the family may see
(``documents.family_may_see``: the council's letters to them, what they sent themselves),
nothing else of the child's record. Which documents those are is decided where each is
stored, so a new kind of document for families (a letter of a new kind) needs no change here.

Every read, of the list and of each document, is audited as the link's (never a person's). A
withdrawn link, or a document the family may not see: 401 and 404 as on the family view."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Response, status

from referrals import repository as referrals
from referrals.documents import repository
from referrals.documents.api import DocumentView, content_response, view_of
from referrals.documents.receiving import DocumentDesk, desk_of
from referrals.family import family_link
from shared.family_links import FamilyLink, LinkToken
from shared.http import NOT_FOUND, UNAVAILABLE, AsCaller, Problem
from shared.unit_of_work import UnitOfWork

router = APIRouter(
    prefix="/v1/family/{token}/documents",
    tags=["family", "documents"],
    responses={
        **UNAVAILABLE,
        **NOT_FOUND,
        401: {"model": Problem, "description": "The link is expired, revoked or not a link"},
    },
    dependencies=[Depends(family_link)],
)

Link = Annotated[FamilyLink, Depends(family_link)]
Desk = Annotated[DocumentDesk, Depends(desk_of)]


async def _current(uow: UnitOfWork, link: FamilyLink) -> None:
    if not await referrals.family_link_current(uow.conn, link):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "this link has been withdrawn; use the link in your latest message",
        )


@router.get("", response_model=list[DocumentView])
async def list_family_documents(
    token: LinkToken, link: Link, caller: AsCaller
) -> list[DocumentView]:
    """The documents about the referral that the family may see, oldest first. Audited."""
    async with caller.begin() as uow:
        await _current(uow, link)
        rows = await repository.for_the_family(uow.conn, link.referral_id)
        uow.read("documents", referral_id=link.referral_id, local_authority=link.local_authority)
    return [view_of(r) for r in rows]


@router.get(
    "/{document_id}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The document's bytes"}},
)
async def download_family_document(
    token: LinkToken, document_id: UUID, link: Link, caller: AsCaller, desk: Desk
) -> Response:
    """The bytes of a document the family may see (any other: 404). Every read is audited."""
    async with caller.begin() as uow:
        await _current(uow, link)
        row = await repository.one(uow.conn, link.referral_id, document_id)
        if row is None or not row["family_may_see"]:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no document {document_id}")
        uow.read("document", referral_id=link.referral_id, local_authority=link.local_authority)
    return await content_response(desk, row)
