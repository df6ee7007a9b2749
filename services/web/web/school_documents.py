"""A SENCo's documents for a pupil (role ``school``): the "Upload educational advice" page
(GOV.UK file upload, no JavaScript; an annual review report is sent the same way) and the
download of what they uploaded. The caseworker's upload code checks the file (``web.documents``);
the referrals service decides who the SENCo's pupils are and what they may read back (the
documents they uploaded): any other is "Page not found" here."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from web import pages
from web.backends import Backends, Conflict, Invalid
from web.documents import attachment, file_of, problem_of
from web.signin import User, checked_form, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Senco = Annotated[User, with_role("school")]

KINDS = {"advice": "Educational advice", "report": "An annual review report"}
"""What a SENCo sends, as the referrals service names it and as the page says it."""
UPLOADS = (r"/school/pupils/[^/]+/documents/upload",)
"""The SENCo's page that takes a document (its body may reach ``MAX_UPLOAD_BYTES``)."""


def _path(referral_id: UUID) -> str:
    return f"/v1/school/pupils/{referral_id}/documents"


@router.get("/school/pupils/{referral_id}/documents/upload")
async def upload_form(request: Request, referral_id: UUID, user: Senco) -> Response:
    backends: Backends = state_of(request).backends
    await backends.get("referrals", f"/v1/school/pupils/{referral_id}", token=user.access_token)
    return _page(request, referral_id, "advice")


@router.post("/school/pupils/{referral_id}/documents/upload")
async def upload(request: Request, referral_id: UUID, user: Senco) -> Response:
    form = await checked_form(request)
    kind = str(form.get("kind", "advice"))
    if kind not in KINDS:
        kind = "advice"  # the page's radios send one of KINDS; anything else is its default
    sent = await file_of(form)
    if isinstance(sent, str):
        return _page(request, referral_id, kind, problem=sent)
    try:
        await state_of(request).backends.post(
            "referrals",
            _path(referral_id),
            token=user.access_token,
            files={"file": (sent[0], sent[1], "application/octet-stream")},
            data={"kind": kind},
        )
    except Invalid as exc:
        return _page(request, referral_id, kind, problem=problem_of(exc))
    except Conflict:  # the same file is already in the child's record, sent by someone else
        return _page(request, referral_id, kind, problem="The council already has this file")
    request.scope["web.session"].data["banner"] = f"{sent[0]} was sent to the council"
    return RedirectResponse(f"/school/pupils/{referral_id}#documents", status_code=303)


@router.get("/school/pupils/{referral_id}/documents/{document_id}")
async def download(request: Request, referral_id: UUID, document_id: UUID, user: Senco) -> Response:
    """A document the SENCo uploaded, as the service serves it (which audits the read)."""
    backends: Backends = state_of(request).backends
    path = f"{_path(referral_id)}/{document_id}"
    return attachment(await backends.call("referrals", "GET", path, token=user.access_token))


def _page(
    request: Request, referral_id: UUID, kind: str, *, problem: str | None = None
) -> Response:
    kinds: list[dict[str, Any]] = [
        {"value": value, "text": text, "checked": value == kind} for value, text in KINDS.items()
    ]
    return pages.render(
        request,
        "documents/upload.html",
        status_code=422 if problem else 200,
        referral_id=referral_id,
        reference=str(referral_id)[:8].upper(),
        problem=problem,
        heading="Upload educational advice",
        intro="Send the school's educational advice for the child's EHC needs assessment, or "
        "a report for their plan's annual review. The council adds it to the child's record; "
        "the family may be able to read it.",
        back={"href": f"/school/pupils/{referral_id}", "text": "Back to your pupil"},
        action=f"/school/pupils/{referral_id}/documents/upload",
        kinds=kinds,
    )
