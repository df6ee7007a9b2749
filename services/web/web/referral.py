"""A referral: the child and the family's contact, where it stands, its timeline, the EHC
clock, advice, its specialists and every message to the family, from four services at once
(the page waits for the slowest, not the sum)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shared.dates import london_today
from web import pages, words
from web.backends import Backends, NotFound, together
from web.signin import User, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Caseworker = Annotated[User, with_role("caseworker", "manager")]


async def _optional(call: Any) -> Any:
    """A part of the page that may not exist yet (no plan drafted, no messages): None."""
    try:
        return await call
    except NotFound:
        return None


@router.get("/referrals/{referral_id}")
async def referral_page(request: Request, referral_id: UUID, user: Caseworker) -> Response:
    backends: Backends = state_of(request).backends
    token = user.access_token
    path = f"/v1/referrals/{referral_id}"
    (
        referral,
        child,
        contact,
        allocations,
        messages,
        preferences,
        plan,
        consultations,
        documents,
        reviews,
        cessations,
        transfer,
        reassessments,
    ) = await together(
        backends.get("referrals", path, token=token),
        backends.get("referrals", f"{path}/child", token=token),
        _optional(backends.get("notifications", f"{path}/contact", token=token)),
        _optional(backends.get("specialists", f"{path}/allocations", token=token)),
        _optional(backends.get("notifications", f"{path}/notifications", token=token)),
        _optional(backends.get("notifications", f"{path}/preferences", token=token)),
        _optional(backends.get("plans", f"{path}/plan", token=token)),
        backends.get("referrals", f"{path}/school-consultations", token=token),
        backends.get("referrals", f"{path}/documents", token=token),
        _optional(backends.get("referrals", f"{path}/annual-reviews", token=token)),
        _optional(backends.get("referrals", f"{path}/ceasing", token=token)),
        _optional(backends.get("referrals", f"{path}/transfer-in", token=token)),
        _optional(backends.get("referrals", f"{path}/reassessments", token=token)),
    )
    today = london_today()
    ehc = referral.get("ehc")
    deadlines = []
    for d in (ehc or {}).get("deadlines", []):
        due = date.fromisoformat(d["due_on"])
        deadlines.append(
            {**d, "days_left": (due - today).days, "limit": words.limit_kind(d["kind"])}
        )
    review = next((r for r in reviews or [] if r["decided_on"] is None), None)
    amending = next(
        (r for r in reviews or [] if r["decision"] == "amend" and not r["amended_issued_on"]),
        None,
    )
    cessation = (cessations or [None])[0]  # the latest proposal to cease the plan, if any
    plan_in_force = bool(reviews) or (ehc or {}).get("stage") == "final_plan_issued"
    reassessment = next(
        (r for r in reassessments or [] if r["stage"] in ("requested", "reassessing")), None
    )
    for d in [*(review or {}).get("deadlines", []), *(reassessment or {}).get("deadlines", [])]:
        d["days_left"] = (date.fromisoformat(d["due_on"]) - today).days
    return pages.render(
        request,
        "caseworker/referral.html",
        referral=referral,
        child=child,
        contact=contact,
        reference=str(referral["id"])[:8].upper(),
        ehc=ehc,
        deadlines=deadlines,
        allocations=allocations,
        messages=messages or [],
        preferences=preferences,
        plan=plan,
        consultations=consultations,
        documents=documents,
        review=review,
        amending=amending,
        cessation=cessation,
        plan_in_force=plan_in_force,
        transfer=transfer,
        reassessment=reassessment,
        words=words,
        banner=request.scope["web.session"].data.pop("banner", None),
    )
