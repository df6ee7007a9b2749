"""A referral's documents in the workspace: the "Upload evidence" page (GOV.UK file upload,
no JavaScript) and each document's download. Nothing is kept here: the file goes straight to
the referrals service, which types it by content, scans it and refuses what it does not take
(a 422 naming ``file``, shown on the field); a download passes its bytes through."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from web import pages
from web.backends import Answer, Backends, Invalid
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
    sent = await file_of(form)
    if isinstance(sent, str):
        return _page(request, referral_id, reference, problem=sent)
    try:
        await backends.post(
            "referrals",
            f"/v1/referrals/{referral_id}/documents",
            token=user.access_token,
            files={"file": (sent[0], sent[1], "application/octet-stream")},
        )
    except Invalid as exc:
        return _page(request, referral_id, reference, problem=problem_of(exc))
    request.scope["web.session"].data["banner"] = f"{sent[0]} was added to the documents"
    return RedirectResponse(f"/referrals/{referral_id}#documents", status_code=303)


async def file_of(form: FormData) -> tuple[str, bytes] | str:
    """The file a form sent, as its name and bytes; or what is wrong with it, as the error
    message to show on the page's ``file`` field."""
    sent = form.get("file")
    if not isinstance(sent, UploadFile) or not sent.filename:
        return "Select a file"
    content = await sent.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        return "The selected file must be smaller than 20 MB"
    return sent.filename, content


def problem_of(exc: Invalid) -> str:
    """The referrals service's refusal of a file (its 422 names ``file``), to show on it."""
    return next((m for loc, m in exc.errors if loc[-1:] == ("file",)), "Select another file")


@router.get("/referrals/{referral_id}/documents/{document_id}")
async def download(
    request: Request, referral_id: UUID, document_id: UUID, user: Caseworker
) -> Response:
    """The document's bytes as the service serves them (an attachment, named by its kind and
    id, never stored here); the service audits the read as this person's."""
    backends: Backends = state_of(request).backends
    path = f"/v1/referrals/{referral_id}/documents/{document_id}"
    return attachment(await backends.call("referrals", "GET", path, token=user.access_token))


def attachment(answer: Answer) -> Response:
    """A document's bytes as the service served them (never stored here)."""
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
