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

from dataclasses import dataclass, field
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from web import forms
from web.backends import Backends, Conflict, Invalid, NotFound, together
from web.plan import lines, reapply, wording
from web.plan.lines import Row
from web.plan.sections import SECTIONS, Section, sections_of
from web.plan.view import shown
from web.signin import BadForm, User, checked_form, saved_answers, with_role

router = APIRouter(include_in_schema=False)

Caseworker = Annotated[User, with_role("caseworker", "manager")]


@dataclass
class Editing:
    """A section's form as it is shown: the answers, the version they are against, and the
    problems (by the id of the field they belong to)."""

    section: Section
    version: int
    rows: list[Row] = field(default_factory=list)
    removed: set[int] = field(default_factory=set)
    text: str = ""
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    conflict: dict[str, Any] | None = None


def _section(plan: dict[str, Any], key: str) -> Section:
    if key not in SECTIONS or key not in sections_of(plan["track"]):
        raise NotFound(key)
    return SECTIONS[key]


async def _plan(request: Request, referral_id: UUID, user: User) -> dict[str, Any]:
    plan: dict[str, Any] = await request.app.state.backends.get(
        "plans", f"/v1/referrals/{referral_id}/plan", token=user.access_token
    )
    return plan


def _read(section: Section, plan: dict[str, Any]) -> Editing:
    content = plan["sections"].get(section.key)
    if section.of_lines:
        return Editing(section, plan["version"], rows=lines.rows_of(section, content))
    return Editing(section, plan["version"], text=content or "")


def _posted(section: Section, form: Any) -> Editing:
    try:
        version = int(str(form.get("version", "")))
    except ValueError as exc:
        raise BadForm from exc  # the form always carries the version it was shown with
    rows, removed = lines.posted_rows(section, form)
    return Editing(
        section,
        version,
        rows=rows,
        removed=removed,
        text=str(form.get("content", "")).strip(),
        reason=str(form.get("reason", "")).strip(),
    )


@router.get("/referrals/{referral_id}/plan/sections/{key}")
async def edit_form(request: Request, referral_id: UUID, key: str, user: Caseworker) -> Response:
    plan = await _plan(request, referral_id, user)
    section = _section(plan, key)
    saved = saved_answers(request)  # a session that ended mid-form: the answers, as posted
    editing = _posted(section, saved) if saved else _read(section, plan)
    return _page(request, referral_id, plan, editing)


@router.post("/referrals/{referral_id}/plan/sections/{key}")
async def save_section(request: Request, referral_id: UUID, key: str, user: Caseworker) -> Response:
    form = await checked_form(request)
    plan = await _plan(request, referral_id, user)
    section = _section(plan, key)
    editing = _posted(section, form)
    if form.get("action") == "add" and section.of_lines:
        editing.rows.append(lines.blank_row(section, editing.rows))
        return _page(request, referral_id, plan, editing)
    content: Any = editing.text or None
    sent: list[int] = []
    if section.of_lines:
        built = lines.content_of(section, editing.rows, editing.removed)
        if built.errors:
            editing.errors = built.errors
            return _page(request, referral_id, plan, editing, status_code=422)
        content, sent = built.content, built.sent
    backends: Backends = request.app.state.backends
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
        editing.errors, editing.general = lines.api_problems(
            section, editing.rows, sent, exc.errors
        )
        return _page(request, referral_id, plan, editing, status_code=422)
    except Conflict as exc:
        return await _conflict(request, referral_id, editing, exc.detail, user)
    request.scope["web.session"].data["banner"] = f"Section {key} was saved"
    return RedirectResponse(f"/referrals/{referral_id}/plan#section-{key}", status_code=303)


async def _conflict(
    request: Request, referral_id: UUID, editing: Editing, detail: str, user: User
) -> Response:
    """The plan changed since the caseworker read it: their change reapplied on the version
    now stored, shown beside the other version; or, when it did not change, the refusal in
    words."""
    backends: Backends = request.app.state.backends
    path = f"/v1/referrals/{referral_id}/plan"
    now, listed, then = await together(
        backends.get("plans", path, token=user.access_token),
        backends.get("plans", f"{path}/versions", token=user.access_token),
        backends.get("plans", f"{path}/versions/{editing.version}", token=user.access_token),
    )
    if now["version"] == editing.version:
        editing.general.append(forms.plain(detail))
        return _page(request, referral_id, now, editing, status_code=409)
    section = editing.section
    base, theirs = then["document"].get(section.key), now["sections"].get(section.key)
    if section.of_lines:
        mine = [r for n, r in enumerate(editing.rows) if n not in editing.removed]
        merged = reapply.reapplied_rows(
            section, lines.rows_of(section, base), lines.rows_of(section, theirs), mine
        )
        editing.rows, editing.removed = merged.rows, set()
    else:
        merged = reapply.reapplied_text(base or "", theirs or "", editing.text)
        editing.text = merged.text
    editing.version = now["version"]
    editing.conflict = {
        "since": [v for v in listed if v["version"] > then["version"]],
        "theirs": theirs,
        "section_changed": base != theirs,
        "clashes": merged.clashes,
    }
    return _page(request, referral_id, now, editing, status_code=409)


def _page(
    request: Request,
    referral_id: UUID,
    plan: dict[str, Any],
    editing: Editing,
    *,
    status_code: int = 200,
) -> Response:
    section = editing.section
    rows = [_row(section, plan, editing, n, row) for n, row in enumerate(editing.rows)]
    order = ["content"] + [f["anchor"] for r in rows for f in r["fields"]] + ["reason"]
    errors = [{"text": text} for text in editing.general] + [
        {"text": editing.errors[a], "href": f"#{a}"} for a in order if a in editing.errors
    ]
    return shown(
        request,
        "plan/edit.html",
        referral_id,
        status_code=status_code,
        plan=plan,
        editing=editing,
        section=section,
        rows=rows,
        errors=errors,
    )


def _row(
    section: Section, plan: dict[str, Any], editing: Editing, n: int, row: Row
) -> dict[str, Any]:
    """One row as the template draws it: each field with its id, value, error and choices."""
    fields = []
    for f in section.fields:
        value = row.get(f.name)
        options = dict(f.options)
        if f.kind == "lines" and f.of is not None:
            options = wording.choices(f.of, plan["sections"])
        for v in value if isinstance(value, list) else [value] if f.kind == "select" else []:
            if v and v not in options:
                options[v] = str(v)  # a line or a code this page has no words for: kept
        anchor = lines.anchor(f, n)
        fields.append(
            {
                "field": f,
                "id": f"row-{n}-{f.name}",
                "anchor": anchor,
                "value": value,
                "options": options,
                "error": editing.errors.get(anchor),
            }
        )
    return {
        "n": n,
        "row": row,
        "label": lines.row_label(section, row, n),
        "removed": n in editing.removed,
        "fields": fields,
    }
