"""The documents a family may see (the council's letters to them, what they sent themselves),
through the link kept in their session: referrals decides which they are and audits every
read as the link's; the bytes are passed on as they come, never kept here."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web.backends import Backends, SignInAgain
from web.documents import attachment
from web.family.link import LinkNeeded, family_address, token_of
from web.family.status import needed, refused
from web.state import state_of

router = APIRouter(include_in_schema=False)


@router.get("/family/documents/{document_id}")
async def family_document(request: Request, document_id: UUID) -> Response:
    try:
        token = token_of(request)
    except LinkNeeded:
        return needed(request)
    backends: Backends = state_of(request).backends
    try:
        answer = await backends.call(
            "referrals",
            "GET",
            f"/v1/family/{token}/documents/{document_id}",
            token=None,
            forwarded_for=family_address(request),
        )
    except SignInAgain:
        return refused(request)
    return attachment(answer)
