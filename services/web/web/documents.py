"""A referral's documents in the workspace: the "Upload evidence" page (GOV.UK file upload,
no JavaScript) and each document's download. Nothing is kept here: the file goes straight to
the referrals service, which types it by content, scans it and refuses what it does not take
(a 422 naming ``file``, shown on the field); a download passes its bytes through."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from web import pages
from web.backends import Backends, Invalid
from web.signin import User, checked_form, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Caseworker = Annotated[User, with_role("caseworker", "manager")]

MAX_BYTES = 20 * 1024 * 1024
"""The referrals service's own limit: a larger file is refused here before it is sent."""
UPLOADS = (r"/referrals/[^/]+/documents/upload",)
"""The workspace's paths that take a document (their body may reach ``MAX_UPLOAD_BYTES``)."""


@router.get("/referrals/{referral_id}/documents/upload")
async def upload_form(request: Request, referral_id: UUID, user: Caseworker) -> Response:
    backends: Backends = state_of(request).backends
    referral = await backends.get(
        "referrals", f"/v1/referrals/{referral_id}", token=user.access_token
    )
    return _page(request, referral_id, str(referral["id"])[:8].upper())


@router.post("/referrals/{referral_id}/documents/upload")
async def upload(request: Request, referral_id: UUID, user: Caseworker) -> Response:
    form = await checked_form(request)
    backends: Backends = state_of(request).backends
    reference = str(referral_id)[:8].upper()
    sent = form.get("file")
    if not isinstance(sent, UploadFile) or not sent.filename:
        return _page(request, referral_id, reference, problem="Select a file")
    content = await sent.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        return _page(
            request, referral_id, reference, problem="The selected file must be smaller than 20 MB"
        )
    try:
        await backends.post(
            "referrals",
            f"/v1/referrals/{referral_id}/documents",
            token=user.access_token,
            files={"file": (sent.filename, content, "application/octet-stream")},
        )
    except Invalid as exc:
        problem = next((m for loc, m in exc.errors if loc[-1:] == ("file",)), None)
        return _page(request, referral_id, reference, problem=problem or "Select another file")
    request.scope["web.session"].data["banner"] = f"{sent.filename} was added to the documents"
    return RedirectResponse(f"/referrals/{referral_id}#documents", status_code=303)


@router.get("/referrals/{referral_id}/documents/{document_id}")
async def download(
    request: Request, referral_id: UUID, document_id: UUID, user: Caseworker
) -> Response:
    """The document's bytes as the service serves them (an attachment, named by its kind and
    id, never stored here); the service audits the read as this person's."""
    backends: Backends = state_of(request).backends
    answer = await backends.call(
        "referrals",
        "GET",
        f"/v1/referrals/{referral_id}/documents/{document_id}",
        token=user.access_token,
    )
    return Response(
        answer.body,
        media_type=answer.headers.get("content-type", "application/octet-stream"),
        headers={"Content-Disposition": answer.headers.get("content-disposition", "attachment")},
    )


def _page(
    request: Request, referral_id: UUID, reference: str, *, problem: str | None = None
) -> Response:
    return pages.render(
        request,
        "documents/upload.html",
        status_code=422 if problem else 200,
        referral_id=referral_id,
        reference=reference,
        problem=problem,
    )
