"""A SENCo's documents (role ``school``): educational advice (received on the clock when the
council asked for it) and annual review reports for their own pupils, through the same desk as
the council's staff (typed by content, 20 MB at most, scanned, bytes kept only when the row
commits) and audited in a unit of work as the SENCo.

What a SENCo may read: the documents they uploaded themselves for a pupil of their schools,
nothing else of the child's record (the council's evidence, other advisers' advice and the
council's letters are not theirs to read). Another school's pupil, another council's child or
no such referral: the same 404, so a SENCo learns nothing about any other school's pupils."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Annotated, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, File, Form, HTTPException, Response, UploadFile, status

from referrals.advice_received import AdviceNotAsked, receive_with_document
from referrals.documents import repository
from referrals.documents.api import DocumentView, content_response, view_of
from referrals.documents.receiving import DocumentDesk, desk_of, kept, receive
from referrals.documents.store import StoredKey
from referrals.statutory import AdviceKind, InvalidStep, OutOfOrder
from shared.auth import AUTH_RESPONSES, CurrentPrincipal, Role, allow
from shared.db import Connection
from shared.http import NOT_FOUND, UNAVAILABLE, AsCaller
from shared.unit_of_work import UnitOfWork

router = APIRouter(
    prefix="/v1/school/pupils/{referral_id}/documents",
    tags=["schools", "documents"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES, **NOT_FOUND},
    dependencies=[allow(Role.SCHOOL)],
)

Desk = Annotated[DocumentDesk, Depends(desk_of)]
SchoolKind = Literal["advice", "report"]
"""What a school sends: its educational advice (Reg 6(1)(b)) or an annual review report."""


async def _pupils_council(conn: Connection, referral_id: UUID, urns: Sequence[str]) -> str:
    """The council of the referral when it is a pupil of one of ``urns``; 404 otherwise."""
    council: str | None = await conn.fetchval(
        "SELECT local_authority FROM referrals WHERE id = $1 AND school_urn = ANY ($2)",
        referral_id,
        list(urns),
    )
    if council is None:  # unknown, another school's or another council's: the same answer
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no pupil's referral {referral_id}")
    return council


@router.post("", status_code=status.HTTP_201_CREATED, response_model=DocumentView)
async def upload_pupils_document(
    referral_id: UUID,
    caller: AsCaller,
    principal: CurrentPrincipal,
    desk: Desk,
    response: Response,
    file: Annotated[UploadFile, File(description="PDF, Word (.docx), JPEG or PNG; 20 MB at most")],
    kind: Annotated[SchoolKind, Form()] = "advice",
) -> DocumentView:
    """Add the school's educational advice (``advice``) or an annual review report
    (``report``) to a pupil's record, checked as every upload is (a refusal is a 422 naming
    ``file``). Educational advice the council asked for is received on the EHC clock. The
    same file sent again by the SENCo is the same document (200); a file the record already
    holds from someone else is a 409."""
    received = await receive(desk, file)
    council = await _pupils_council(caller.conn, referral_id, principal.school_urns)
    same = await repository.same_file(caller.conn, referral_id, kind, received.checked.sha256)
    if same is not None:
        if same["uploaded_by"] != caller.actor.subject:
            raise HTTPException(status.HTTP_409_CONFLICT, "the child's record has this file")
        response.status_code = status.HTTP_200_OK
        return view_of(same)
    document = repository.NewDocument(
        id=uuid4(),
        referral_id=referral_id,
        local_authority=council,
        kind=kind,
        advice_kind=AdviceKind.EDUCATIONAL.value if kind == "advice" else None,
        filename=received.filename,
        checked=received.checked,
        uploaded_by=caller.actor.subject,
    )
    async with kept(desk, StoredKey(document.id, council), received.content), caller.begin() as uow:
        if await repository.add(uow.conn, document) is None:
            raise HTTPException(status.HTTP_409_CONFLICT, "the same file was just added")
        uow.changed("create", "document", referral_id=referral_id, local_authority=council)
        if kind == "advice":
            await _advice_received(uow, referral_id, document.id)
        row = await repository.one(uow.conn, referral_id, document.id)
    return view_of(row)


async def _advice_received(uow: UnitOfWork, referral_id: UUID, document_id: UUID) -> None:
    """The school's educational advice, when the council asked for it (Reg 6(1)(b)), is
    received on the clock as an adviser's is (``referrals.advice_received``: the deadline
    met, the timeline, section K). Not asked for, or received already: the document is kept
    with the pupil's record all the same, and the clock is unchanged."""
    with contextlib.suppress(AdviceNotAsked, OutOfOrder, InvalidStep):
        await receive_with_document(uow, referral_id, AdviceKind.EDUCATIONAL, document_id)


@router.get("", response_model=list[DocumentView])
async def list_pupils_documents(
    referral_id: UUID, caller: AsCaller, principal: CurrentPrincipal
) -> list[DocumentView]:
    """The documents the SENCo uploaded for their pupil, oldest first. Audited as a read."""
    async with caller.begin() as uow:
        council = await _pupils_council(uow.conn, referral_id, principal.school_urns)
        rows = await repository.of_referral(uow.conn, referral_id)
        uow.read("documents", referral_id=referral_id, local_authority=council)
    return [view_of(r) for r in rows if r["uploaded_by"] == caller.actor.subject]


@router.get(
    "/{document_id}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The document's bytes"}},
)
async def download_pupils_document(
    referral_id: UUID,
    document_id: UUID,
    caller: AsCaller,
    principal: CurrentPrincipal,
    desk: Desk,
) -> Response:
    """The bytes of a document the SENCo uploaded for their pupil (any other: 404). Every
    read is audited."""
    async with caller.begin() as uow:
        council = await _pupils_council(uow.conn, referral_id, principal.school_urns)
        row = await repository.one(uow.conn, referral_id, document_id)
        if row is None or row["uploaded_by"] != caller.actor.subject:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no document {document_id}")
        uow.read("document", referral_id=referral_id, local_authority=council)
    return await content_response(desk, row)
