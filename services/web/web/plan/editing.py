"""Changing one section of a plan: a GOV.UK form for the section's lines ("add another"
posts the form and shows it again with one more row: no JavaScript), sent with the version
the caseworker read (``If-Match``).

When someone else saved first (the plans service's 409, the plan at a newer version), the
caseworker sees the other version of the section beside theirs, who saved it and when, and a
form holding their change reapplied on top of it (``reapply``), against the new version:
saving it keeps both changes. A 409 that is not someone else's change (a plan the family
has, say) is explained in words; a 422 names each field.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from web.backends import Backends, Conflict, Invalid
from web.plan import lines, problems
from web.plan.conflict import reapplied
from web.plan.section_form import page, posted, read, section_of
from web.signin import User, checked_form, saved_answers, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Caseworker = Annotated[User, with_role("caseworker", "manager")]


async def _plan(request: Request, referral_id: UUID, user: User) -> dict[str, Any]:
    plan: dict[str, Any] = await state_of(request).backends.get(
        "plans", f"/v1/referrals/{referral_id}/plan", token=user.access_token
    )
    return plan


@router.get("/referrals/{referral_id}/plan/sections/{key}")
async def edit_form(request: Request, referral_id: UUID, key: str, user: Caseworker) -> Response:
    plan = await _plan(request, referral_id, user)
    section = section_of(plan, key)
    saved = saved_answers(request)  # a session that ended mid-form: the answers, as posted
    editing = posted(section, saved) if saved else read(section, plan)
    return page(request, referral_id, plan, editing)


@router.post("/referrals/{referral_id}/plan/sections/{key}")
async def save_section(request: Request, referral_id: UUID, key: str, user: Caseworker) -> Response:
    form = await checked_form(request)
    plan = await _plan(request, referral_id, user)
    section = section_of(plan, key)
    editing = posted(section, form)
    if form.get("action") == "add" and section.of_lines:
        editing.rows.append(lines.blank_row(section, editing.rows))
        return page(request, referral_id, plan, editing)
    content: Any = editing.text or None
    sent: list[int] = []
    if section.of_lines:
        built = lines.content_of(section, editing.rows, editing.removed)
        if built.errors:
            editing.errors = built.errors
            return page(request, referral_id, plan, editing, status_code=422)
        content, sent = built.content, built.sent
    backends: Backends = state_of(request).backends
    try:
        await backends.call(
            "plans",
            "PUT",
            f"/v1/referrals/{referral_id}/plan/sections/{key}",
            token=user.access_token,
            json={"content": content, "reason": editing.reason},
            headers={"If-Match": f'"{editing.version}"'},
            accept=(200,),
        )
    except Invalid as exc:
        editing.errors, editing.general = problems.api_problems(
            section, editing.rows, sent, exc.errors
        )
        return page(request, referral_id, plan, editing, status_code=422)
    except Conflict as exc:
        return await reapplied(request, referral_id, editing, exc.detail, user)
    request.scope["web.session"].data["banner"] = f"Section {key} was saved"
    return RedirectResponse(f"/referrals/{referral_id}/plan#section-{key}", status_code=303)
