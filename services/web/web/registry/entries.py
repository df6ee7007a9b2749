"""Managers add a team or practitioner to the registry, change one, and retire one (after a
confirmation): each a form over the specialists service's API.

A new entry's id is made when its form is shown, so a form sent twice adds one entry (the
second answer is the registry's "exists already", and the entry is there).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from web import councils, forms, pages, words
from web.backends import Backends, Conflict, Invalid, NotFound
from web.registry import fields
from web.signin import BadForm, User, checked_form, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Manager = Annotated[User, with_role("manager")]


def _backends(request: Request) -> Backends:
    backends: Backends = state_of(request).backends
    return backends


@router.get("/registry/new")
async def new_entry(request: Request, user: Manager) -> Response:
    council = councils.chosen(request, user)
    answers = forms.Answers({"kind": "team", "languages": "en"})
    return await _form(request, user, council, answers, entry_id=str(uuid.uuid4()), new=True)


@router.post("/registry/new")
async def create_entry(request: Request, user: Manager) -> Response:
    form = await checked_form(request)
    council = councils.chosen(request, user)
    try:
        entry_id = str(uuid.UUID(str(form.get("entry_id"))))
    except ValueError as exc:  # the form did not come from its page
        raise BadForm from exc
    body, answers = fields.body_of(fields.QUESTIONS, form)
    if answers.errors:
        return await _form(request, user, council, answers, entry_id=entry_id, new=True)
    backends = _backends(request)
    try:
        await backends.post(
            "specialists",
            "/v1/registry",
            token=user.access_token,
            json={**body, "id": entry_id, "local_authority": council, "active": True},
        )
    except Invalid as exc:
        fields.from_api(answers, fields.QUESTIONS, exc.errors)
        return await _form(request, user, council, answers, entry_id=entry_id, new=True)
    except Conflict as exc:
        if not await _added_already(request, user, entry_id, body):
            answers.general.append(forms.plain(exc.detail))
            return await _form(request, user, council, answers, entry_id=entry_id, new=True)
    return done(request, council, f"{body['display_name']} was added to the registry")


@router.get("/registry/{entry_id}/change")
async def change_form(request: Request, entry_id: UUID, user: Manager) -> Response:
    entry = await _entry(request, user, entry_id)
    answers = forms.Answers(fields.shown(entry))
    return await _form(request, user, entry["local_authority"], answers, entry_id=str(entry_id))


@router.post("/registry/{entry_id}/change")
async def change_entry(request: Request, entry_id: UUID, user: Manager) -> Response:
    form = await checked_form(request)
    entry = await _entry(request, user, entry_id)
    council = entry["local_authority"]
    body, answers = fields.body_of(fields.QUESTIONS, form)
    if answers.errors:
        return await _form(request, user, council, answers, entry_id=str(entry_id))
    try:
        await _backends(request).call(
            "specialists",
            "PUT",
            f"/v1/registry/{entry_id}",
            token=user.access_token,
            # The commissioning council never changes; retiring is its own step.
            json={**body, "local_authority": council, "active": entry["active"]},
        )
    except Invalid as exc:
        fields.from_api(answers, fields.QUESTIONS, exc.errors)
        return await _form(request, user, council, answers, entry_id=str(entry_id))
    except Conflict as exc:
        answers.general.append(forms.plain(exc.detail))
        return await _form(request, user, council, answers, entry_id=str(entry_id), status=409)
    return done(request, council, f"{body['display_name']} was changed")


@router.get("/registry/{entry_id}/retire")
async def retire_form(request: Request, entry_id: UUID, user: Manager) -> Response:
    entry = await _entry(request, user, entry_id)
    return pages.render(request, "manager/retire.html", entry=entry, words=words)


@router.post("/registry/{entry_id}/retire")
async def retire_entry(request: Request, entry_id: UUID, user: Manager) -> Response:
    await checked_form(request)
    entry = await _entry(request, user, entry_id)
    await _backends(request).post(
        "specialists", f"/v1/registry/{entry_id}/retire", token=user.access_token
    )
    return done(
        request,
        entry["local_authority"],
        f"{entry['display_name']} was retired: it takes no new children",
    )


async def _entry(request: Request, user: User, entry_id: UUID) -> dict[str, Any]:
    """The entry, if it is one of the person's councils' to change ("Page not found" else)."""
    entry: dict[str, Any] = await _backends(request).get(
        "specialists", f"/v1/registry/{entry_id}", token=user.access_token
    )
    if entry["local_authority"] not in user.councils:
        raise NotFound(str(entry_id))
    return entry


async def _added_already(request: Request, user: User, entry_id: str, body: dict[str, Any]) -> bool:
    """Whether the entry this form adds is there already (the form was sent twice)."""
    try:
        there = await _backends(request).get(
            "specialists", f"/v1/registry/{entry_id}", token=user.access_token
        )
    except NotFound:
        return False
    return bool(there["display_name"] == body["display_name"])


async def _form(
    request: Request,
    user: User,
    council: str,
    answers: forms.Answers,
    *,
    entry_id: str,
    new: bool = False,
    status: int | None = None,
) -> Response:
    listed = await _backends(request).get(
        "specialists",
        "/v1/registry",
        token=user.access_token,
        params={"local_authority": council},
    )
    teams = {
        e["id"]: e["display_name"]
        for e in listed
        if e["kind"] == "team" and e["local_authority"] == council and e["id"] != entry_id
    }
    return pages.render(
        request,
        "manager/entry.html",
        status_code=answers.status(status),
        questions=fields.QUESTIONS,
        answers=answers,
        errors=answers.summary(fields.QUESTIONS),
        options={"team_id": {"": "No team", **teams}, "role": words.ROLES},
        entry_id=entry_id,
        new=new,
        council=council,
        council_name=councils.name(request, council),
        action=f"/registry/new?council={council}" if new else f"/registry/{entry_id}/change",
    )


def done(request: Request, council: str, banner: str) -> Response:
    """Back to the registry, with what was done in its success banner."""
    request.scope["web.session"].data["banner"] = banner
    return RedirectResponse(f"/registry?council={council}", status_code=303)
