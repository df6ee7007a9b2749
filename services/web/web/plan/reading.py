"""Reading a plan: its sections A to K, its quality checks, where it stands and who changed it
last; every version of it; one version; the PDF the council sends."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from web import forms
from web.backends import Backends, Conflict, together
from web.plan import moving, sections, wording
from web.plan.view import shown
from web.signin import User, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Caseworker = Annotated[User, with_role("caseworker", "manager")]


@router.get("/referrals/{referral_id}/plan")
async def plan_page(request: Request, referral_id: UUID, user: Caseworker) -> Response:
    backends: Backends = state_of(request).backends
    path = f"/v1/referrals/{referral_id}/plan"
    plan, versions = await together(
        backends.get("plans", path, token=user.access_token),
        backends.get("plans", f"{path}/versions", token=user.access_token),
    )
    failed = [c for c in plan["checks"] if not c["passed"]]
    return shown(
        request,
        "plan/plan.html",
        referral_id,
        plan=plan,
        latest=versions[-1] if versions else None,
        failed=failed,
        keys=sections.shown(plan),
        editable=plan["status"] in wording.EDITABLE,
        steps=moving.offered(plan),
        banner=request.scope["web.session"].data.pop("banner", None),
    )


@router.get("/referrals/{referral_id}/plan/versions")
async def versions_page(request: Request, referral_id: UUID, user: Caseworker) -> Response:
    found = await state_of(request).backends.get(
        "plans", f"/v1/referrals/{referral_id}/plan/versions", token=user.access_token
    )
    return shown(request, "plan/versions.html", referral_id, versions=list(reversed(found)))


@router.get("/referrals/{referral_id}/plan/versions/{version}")
async def version_page(
    request: Request,
    referral_id: UUID,
    version: Annotated[int, Path(ge=1, le=1_000_000)],
    user: Caseworker,
) -> Response:
    found = await state_of(request).backends.get(
        "plans", f"/v1/referrals/{referral_id}/plan/versions/{version}", token=user.access_token
    )
    document = found["document"]
    return shown(
        request,
        "plan/version.html",
        referral_id,
        found=found,
        document=document,
        keys=sections.sections_of(document.get("track", "support")),
    )


@router.get("/referrals/{referral_id}/plan.pdf")
async def plan_pdf(request: Request, referral_id: UUID, user: Caseworker) -> Response:
    """The plans service's PDF, as it sends it (its name for the file: the reference); a
    plan it cannot print (drafted in an older shape) is a page saying why."""
    try:
        answer = await state_of(request).backends.call(
            "plans",
            "GET",
            f"/v1/referrals/{referral_id}/plan.pdf",
            token=user.access_token,
            accept=(200,),
        )
    except Conflict as exc:
        said = forms.plain(exc.detail)
        return shown(request, "plan/no_pdf.html", referral_id, said=said, status_code=409)
    headers = {"Content-Disposition": answer.headers.get("content-disposition", "attachment")}
    return Response(answer.body, media_type="application/pdf", headers=headers)
