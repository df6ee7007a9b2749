"""The family's pages: the link in each message opens where things stand, in plain words, on
a phone first. No account: the link's token is the key, checked by the services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from web import pages
from web.backends import ApiError, Backends, NotFound, SignInAgain

router = APIRouter(include_in_schema=False)

LinkToken = Annotated[str, Path(max_length=2000)]


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.get("/family/{token}")
async def family_view(request: Request, token: LinkToken) -> Response:
    backends: Backends = request.app.state.backends
    try:
        view = await backends.get(
            "referrals", f"/v1/family/{token}", token=None, forwarded_for=_client(request)
        )
    except (SignInAgain, NotFound):
        return pages.render(request, "family/refused.html", status_code=401)
    except ApiError:
        raise
    contacts = request.app.state.settings.council_contacts
    return pages.render(request, "family/view.html", view=view, contacts=contacts)


@router.get("/accessibility")
async def accessibility(request: Request) -> Response:
    return pages.render(request, "accessibility.html")
