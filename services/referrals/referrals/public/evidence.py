"""Evidence uploaded on the public form (no account), before the request is sent: checked as
every upload is (type by content, 20 MB, the malware scan; a refusal is a 422 naming ``file``
and nothing is stored), kept by the council the visitor chose, as a document of no referral
yet. Its id, answered here and kept in the visitor's session, is what the request names when
sent (``store.claim``); the request taken in makes it the referral's (``store.taken_in``).
The family may see what they sent through their link. Limited per address as every public
route is (``RATE_LIMIT_PUBLIC``); an upload never named by a request within a day is erased
by the retention job (``store.erase_unclaimed``)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile, status
from pydantic import BaseModel, Field

from referrals.documents import repository
from referrals.documents.receiving import DocumentDesk, desk_of, kept, receive
from referrals.documents.store import StoredKey
from referrals.intake import council_problem
from referrals.public import store
from referrals.public.intake import as_public
from referrals.state import State
from shared.http import UNAVAILABLE, DbConnection, Problem, ServiceWork, actor_of, invalid

router = APIRouter(
    prefix="/v1/public",
    tags=["public requests (no account)"],
    responses={
        **UNAVAILABLE,
        429: {"model": Problem, "description": "Too many requests from this address"},
    },
)


class EvidenceReceipt(BaseModel):
    """What the visitor's session keeps of an upload: its id (the request names it), and
    what it is, to list on "check your answers"."""

    id: UUID
    filename: str
    media_type: str = Field(examples=["application/pdf"])
    size_bytes: int


@router.post(
    "/evidence",
    status_code=status.HTTP_201_CREATED,
    response_model=EvidenceReceipt,
    dependencies=[Depends(as_public)],
)
async def upload_evidence(
    request: Request,
    conn: DbConnection,
    work: ServiceWork,
    desk: Annotated[DocumentDesk, Depends(desk_of)],
    state: State,
    file: Annotated[UploadFile, File(description="PDF, Word (.docx), JPEG or PNG; 20 MB at most")],
    local_authority: Annotated[str, Form(pattern=r"^E[0-9]{8}$")],
) -> EvidenceReceipt:
    """Keep a file of evidence for a request about to be sent on the public form."""
    council = council_problem(local_authority, state.intake_rules.councils)
    if council:
        raise invalid([(("local_authority",), council)])
    received = await receive(desk, file)
    document = repository.NewDocument(
        id=uuid4(),
        referral_id=None,
        local_authority=local_authority,
        kind="evidence",
        filename=received.filename,
        checked=received.checked,
        uploaded_by=store.EVIDENCE_UPLOADER,
        family_may_see=True,  # what they sent themselves
    )
    key = StoredKey(document.id, local_authority)
    async with (
        kept(desk, key, received.content),
        work.begin(actor_of(request), councils=[local_authority], conn=conn) as uow,
    ):
        await repository.add(uow.conn, document)
    return EvidenceReceipt(
        id=document.id,
        filename=received.filename,
        media_type=received.checked.file_type.media_type,
        size_bytes=received.checked.size,
    )
