"""HTTP routes of the document store for the council's staff: upload (multipart), the list of
a referral's documents, and each document's bytes. Each upload and each read is audited in a
unit of work as the caller; another council's referral is a 404, as an unknown one is."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, File, Form, HTTPException, Response, UploadFile, status
from pydantic import BaseModel, Field

from referrals.documents import repository
from referrals.documents.receiving import DocumentDesk, DocumentKind, desk_of, kept, receive
from referrals.documents.store import ContentMissing, StoredKey
from referrals.statutory import AdviceKind
from shared.auth import AUTH_RESPONSES, Role, allow
from shared.http import NOT_FOUND, UNAVAILABLE, AsCaller

router = APIRouter(
    prefix="/v1/referrals/{referral_id}/documents",
    tags=["documents"],
    responses={**UNAVAILABLE, **AUTH_RESPONSES, **NOT_FOUND},
    dependencies=[allow(Role.CASEWORKER, Role.MANAGER)],
)

Desk = Annotated[DocumentDesk, Depends(desk_of)]


class DocumentView(BaseModel):
    """A document of a child's record: what it is, never its bytes."""

    id: UUID
    referral_id: UUID
    kind: DocumentKind
    advice_kind: str | None = Field(default=None, examples=["educational_psychology"])
    filename: str = Field(description="As it was sent ('erased' once the child's details are)")
    media_type: str = Field(description="By its content", examples=["application/pdf"])
    size_bytes: int
    sha256: str = Field(description="SHA-256 of its bytes, hex")
    uploaded_by: str = Field(description="Who sent it: a sign-in subject, or an adviser's link")
    uploaded_at: datetime
    erased: bool = False
    family_may_see: bool = Field(
        default=False, description="The family may read it through their link (their letters)"
    )


def view_of(row: Any) -> DocumentView:
    return DocumentView.model_validate({**dict(row), "erased": row["erased_at"] is not None})


@router.post("", status_code=status.HTTP_201_CREATED, response_model=DocumentView)
async def upload_document(
    referral_id: UUID,
    caller: AsCaller,
    desk: Desk,
    response: Response,
    file: Annotated[UploadFile, File(description="PDF, Word (.docx), JPEG or PNG; 20 MB at most")],
    kind: Annotated[DocumentKind, Form()] = "evidence",
    advice_kind: Annotated[AdviceKind | None, Form()] = None,
) -> DocumentView:
    """Add a document to the child's record. Typed by its content (PDF, DOCX, JPEG, PNG; a
    name that disagrees is refused), 20 MB at most, scanned for malware when a scanner is
    configured: a refusal is a 422 naming ``file`` and nothing is stored. The same file sent
    again for the referral is the same document (200)."""
    received = await receive(desk, file)
    council = await caller.conn.fetchval(
        "SELECT local_authority FROM referrals WHERE id = $1", referral_id
    )
    if council is None:  # unknown, or another council's: the same answer
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
    same = await repository.same_file(caller.conn, referral_id, kind, received.checked.sha256)
    if same is not None:
        response.status_code = status.HTTP_200_OK
        return view_of(same)
    document = repository.NewDocument(
        id=uuid4(),
        referral_id=referral_id,
        local_authority=council,
        kind=kind,
        advice_kind=advice_kind.value if kind == "advice" and advice_kind else None,
        filename=received.filename,
        checked=received.checked,
        uploaded_by=caller.actor.subject,
    )
    key = StoredKey(document.id, council)
    async with kept(desk, key, received.content), caller.begin() as uow:
        if await repository.add(uow.conn, document) is None:
            raise HTTPException(status.HTTP_409_CONFLICT, "the same file was just added")
        uow.changed("create", "document", referral_id=referral_id, local_authority=council)
        row = await repository.one(uow.conn, referral_id, document.id)
    return view_of(row)


@router.get("", response_model=list[DocumentView])
async def list_documents(referral_id: UUID, caller: AsCaller) -> list[DocumentView]:
    """The referral's documents, oldest first (erased ones say so). Audited as a read."""
    async with caller.begin() as uow:
        council = await uow.conn.fetchval(
            "SELECT local_authority FROM referrals WHERE id = $1", referral_id
        )
        if council is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no referral {referral_id}")
        rows = await repository.of_referral(uow.conn, referral_id)
        uow.read("documents", referral_id=referral_id, local_authority=council)
    return [view_of(row) for row in rows]


@router.get(
    "/{document_id}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The document's bytes"}},
)
async def download_document(
    referral_id: UUID, document_id: UUID, caller: AsCaller, desk: Desk
) -> Response:
    """The document's bytes, as a download. Every read is audited."""
    async with caller.begin() as uow:
        row = await repository.one(uow.conn, referral_id, document_id)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no document {document_id}")
        uow.read("document", referral_id=referral_id, local_authority=row["local_authority"])
    return await content_response(desk, row)


async def content_response(desk: DocumentDesk, row: Any) -> Response:
    """A document's bytes as an attachment named by its kind and id (never the name it was
    sent with, which may name the child), or 404 once erased."""
    if row["erased_at"] is not None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this document has been erased")
    try:
        content = await desk.store.get(StoredKey(row["id"], row["local_authority"]))
    except ContentMissing as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this document is not stored") from exc
    extension = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}.get(
        row["media_type"], ".docx"
    )
    return Response(
        content,
        media_type=row["media_type"],
        headers={
            "Content-Disposition": f'attachment; filename="{row["kind"]}-'
            f'{str(row["id"])[:8]}{extension}"',
            "Cache-Control": "no-store",
        },
    )
