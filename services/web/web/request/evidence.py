"""The public form's optional evidence page (one thing per page: a file, or none): each file
goes at once to referrals (``POST /v1/public/evidence``: typed by content, 20 MB at most,
scanned; its refusal shown on the file field), which keeps it for the council chosen; the
visitor's session keeps only its id and name, listed on "check your answers", and the request
names it when sent. No file chosen: the page is answered, and the form goes on."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web.backends import Invalid
from web.documents import file_of, problem_of
from web.family.link import family_address
from web.request.flow import EVIDENCE, MOST_EVIDENCE, PUBLIC_FORM, evidence_of
from web.request.routes import FAMILY_FORM, render_public, saved_answers, to_next
from web.sessions import session_of
from web.signin import checked_form
from web.state import state_of

router = APIRouter(include_in_schema=False)

UPLOADS = (rf"/request/{EVIDENCE}",)
"""The page that takes a file (its body may reach ``MAX_UPLOAD_BYTES``)."""
PAGE = PUBLIC_FORM.page(EVIDENCE)


@router.get(f"/request/{EVIDENCE}")
async def evidence_page(request: Request) -> Response:
    return _page(request, saved_answers(request))


@router.post(f"/request/{EVIDENCE}")
async def evidence_sent(request: Request) -> Response:
    form = await checked_form(request)
    saved = saved_answers(request)
    if "local_authority" not in saved:  # the council is asked first: the form from the start
        return to_next(FAMILY_FORM, saved)
    files = evidence_of(saved)
    chosen = form.get("file")
    if getattr(chosen, "filename", None) and len(files) < MOST_EVIDENCE:
        sent = await file_of(form)
        if isinstance(sent, str):
            return _page(request, saved, problem=sent)
        try:
            kept: dict[str, Any] = await state_of(request).backends.post(
                "referrals",
                "/v1/public/evidence",
                token=None,
                files={"file": (sent[0], sent[1], "application/octet-stream")},
                data={"local_authority": saved["local_authority"]},
                forwarded_for=family_address(request),
            )
        except Invalid as exc:
            return _page(request, saved, problem=problem_of(exc))
        files = [*files, {"id": str(kept["id"]), "filename": str(kept["filename"])}]
    answered = {**saved, EVIDENCE: files}
    session_of(request).data[FAMILY_FORM.answers] = answered
    return to_next(FAMILY_FORM, answered)


def _page(request: Request, saved: dict[str, Any], *, problem: str | None = None) -> Response:
    assert PAGE is not None  # the flow has the page: its slug is the module's
    previous = PUBLIC_FORM.before(EVIDENCE, saved)
    return render_public(
        request,
        "request/evidence.html",
        status_code=422 if problem else 200,
        page=PAGE,
        files=evidence_of(saved),
        room=len(evidence_of(saved)) < MOST_EVIDENCE,
        problem=problem,
        back=f"/request/{previous.slug}" if previous else "/request",
    )
