"""Every page of the workspace needs someone signed in, except the few a visitor must reach
(signing in, the family's pages reached by their link, the public request form, the
accessibility statement, health):
a walk of the application's own routes, so a new page cannot be left open by mistake."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from uuid import uuid4

import httpx
import pytest
from fastapi.routing import APIRoute
from web.app import ROUTERS, create_app
from web.config import WebSettings

from scripts.platform import migrations_of
from shared.services import LOCAL_SERVICE_USER, with_user
from tests.conftest import Databases

PUBLIC = {
    "/sign-in",
    "/sign-in/start",
    "/sign-in/callback",
    "/signed-out",
    "/sign-out",  # a form: without this session's CSRF token it does nothing (400)
    "/accessibility",
    "/family",  # the family's own pages: their link, kept in the session, is the key
    "/advisers",  # an adviser's page: the link the council sent, kept in the session, is the key
    "/health/live",
    "/health/ready",
    "/metrics",
    "/",  # sends a visitor to sign in
    # The public request form (no account: referrals limits it per address) and its
    # confirmation, deliberately open.
    "/request",
    "/request/{slug}",
    "/request/check",
    "/request/evidence",
    "/request/school",
    "/request/school/{slug}",
    "/request/school/check",
    "/request/school/sent",
    "/request/sent",
    "/request/confirm",
}
PUBLIC_PREFIXES = ("/family/", "/advisers/", "/asyncapi")


@pytest.fixture(scope="module")
async def web_app_client(databases: Databases) -> AsyncIterator[httpx.AsyncClient]:
    url = await databases.fresh("web-access", "web", migrations_of("web"))
    app = create_app(
        WebSettings(database_url=with_user(url, LOCAL_SERVICE_USER, LOCAL_SERVICE_USER))
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid4()), path)


async def test_every_page_but_the_public_ones_sends_a_visitor_to_sign_in(
    web_app_client: httpx.AsyncClient,
) -> None:
    walked = 0
    for route in (r for router in ROUTERS for r in router.routes):
        if not isinstance(route, APIRoute):
            continue
        if route.path in PUBLIC or route.path.startswith(PUBLIC_PREFIXES):
            continue
        for method in (route.methods or set()) - {"HEAD"}:
            answer = await web_app_client.request(method, _concrete(route.path), data={"x": "1"})
            assert answer.status_code == 303, (method, route.path, answer.status_code)
            assert answer.headers["location"].startswith("/sign-in?then="), route.path
            walked += 1
    assert walked >= 8  # the walk saw the pages (a route table that changed shape fails here)
