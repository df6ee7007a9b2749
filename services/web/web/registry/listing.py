"""``/registry``: the council's teams and practitioners, for caseworkers and managers; and,
for managers, the teams another council asks to share with theirs, each agreed to with a
button (``POST /v1/registry/{id}/agreements``)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web import councils, pages, words
from web.backends import Backends, NotFound, together
from web.registry.entries import done
from web.signin import User, checked_form, with_role
from web.state import state_of

router = APIRouter(include_in_schema=False)

Reader = Annotated[User, with_role("caseworker", "manager")]
Manager = Annotated[User, with_role("manager")]


@router.get("/registry")
async def registry(request: Request, user: Reader) -> Response:
    council = councils.chosen(request, user)
    backends: Backends = state_of(request).backends
    listed = backends.get(
        "specialists",
        "/v1/registry",
        token=user.access_token,
        params={"local_authority": council},
    )
    if user.has("manager"):
        entries, asking = await together(
            listed,
            backends.get(
                "specialists",
                "/v1/registry/awaiting-agreement",
                token=user.access_token,
                params={"local_authority": council},
            ),
        )
    else:
        entries, asking = await listed, []
    teams = {e["id"]: e["display_name"] for e in entries if e["kind"] == "team"}
    return pages.render(
        request,
        "manager/registry.html",
        entries=sorted(entries, key=lambda e: (not e["active"], e["display_name"].lower())),
        asking=asking,
        teams=teams,
        council=council,
        council_name=councils.name(request, council),
        councils=councils.choices(request, user),
        council_names=councils.names(request),
        manager=user.has("manager"),
        words=words,
        banner=request.scope["web.session"].data.pop("banner", None),
    )


@router.post("/registry/{entry_id}/agree")
async def agree(request: Request, entry_id: UUID, user: Manager) -> Response:
    form = await checked_form(request)
    backends: Backends = state_of(request).backends
    council = str(form.get("council") or "")
    if council not in user.councils:
        raise NotFound(council)
    entry = await backends.post(
        "specialists",
        f"/v1/registry/{entry_id}/agreements",
        token=user.access_token,
        json={"local_authority": council},
    )
    name = councils.name(request, council)
    return done(request, council, f"{entry['display_name']} now serves {name}'s children")
