"""A family link that is not a good token (shortened or wrapped by an email client, mangled,
made up) gets the same plain answer as an expired one on every family route of referrals and
plans: 401 with one detail (the workspace shows a family the page). Never a 5xx: a fuzz of
arbitrary path text finds none (real PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scripts.platform import IdentityProvider, migrations_of
from tests.conftest import Databases
from tests.integration.plans_family import link, plans_service
from tests.integration.referrals_app import referrals_service

HTML = {"Accept": "text/html,application/xhtml+xml"}
FAMILY_ROUTES = {
    "referrals": {
        ("GET", "/v1/family/{token}"),
        ("GET", "/v1/family/{token}/letters/{document_id}"),
        ("GET", "/v1/family/{token}/documents"),
        ("GET", "/v1/family/{token}/documents/{document_id}"),
    },
    "plans": {
        ("GET", "/v1/family/{token}/plan"),
        ("GET", "/v1/family/{token}/plan.pdf"),
        ("POST", "/v1/family/{token}/plan/comments"),
    },
}
COMMENTS = {"comments": "We would like more help at lunchtime."}


@pytest.fixture(scope="module")
async def services(
    databases: Databases, identity: IdentityProvider
) -> AsyncIterator[dict[str, FastAPI]]:
    referrals_url = await databases.fresh("refusals-r", "referrals", migrations_of("referrals"))
    plans_url = await databases.fresh("refusals-p", "plans", migrations_of("plans"))
    async with (
        referrals_service(referrals_url, identity, rate_limit_family="100000/minute") as referrals,
        plans_service(plans_url, identity) as plans,
    ):
        yield {"referrals": referrals, "plans": plans}


def family_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every route of ``app`` that a family link opens (its token in the path)."""
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/v1/family/{token}")
        for method in operations
    }


async def _ask(
    app: FastAPI, method: str, path: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        body = COMMENTS if method == "POST" else None
        return await client.request(method, path, json=body, headers=headers)


def _mangled(token: str) -> dict[str, str]:
    head, payload, signature = token.split(".")
    return {
        "made up": "xyz",
        "shortened by an email client": token[:30],
        "cut at a dot": f"{head}.{payload}",
        "a character lost": token[:-1],
        "a character added": token + "A",
        "payload mangled": f"{head}.{payload[:-4]}AAAA.{signature}",
        "not base64": "%21%21%21.%24%24.%5E%5E",
        "very long": "a" * 5000,
        "dots only": "...",
        "unicode": quote("línk-ñ-😀-" * 5, safe=""),
    }


async def test_every_family_route_is_covered(services: dict[str, FastAPI]) -> None:
    for service, app in services.items():
        assert family_routes(app) == FAMILY_ROUTES[service], service


async def test_a_mangled_link_gets_the_answer_an_expired_one_gets(
    services: dict[str, FastAPI],
) -> None:
    referral_id = uuid4()
    expired = link(referral_id, now=datetime.now(UTC) - timedelta(days=2))
    for service, routes in FAMILY_ROUTES.items():
        app = services[service]
        for method, template in sorted(routes):
            as_expired = await _ask(
                app, method, template.format(token=expired, document_id=uuid4())
            )
            assert as_expired.status_code == 401, (service, template, as_expired.text)
            for case, token in _mangled(link(referral_id)).items():
                answer = await _ask(app, method, template.format(token=token, document_id=uuid4()))
                assert answer.status_code == 401, (service, template, case, answer.text)
                assert answer.json() == as_expired.json(), (service, template, case)
    # Asked as a browser asks, plans answers the same JSON: the family's page saying "This
    # link no longer works" is the workspace's (tests/integration/test_family_plan_browser.py).
    plans = services["plans"]
    expired_page = await _ask(plans, "GET", f"/v1/family/{expired}/plan", HTML)
    for case, token in _mangled(link(referral_id)).items():
        page = await _ask(plans, "GET", f"/v1/family/{token}/plan", HTML)
        assert (page.status_code, page.json()) == (401, expired_page.json()), case


@given(
    text=st.text(max_size=200),
    safe=st.sampled_from(["", "/", "/%.;"]),
    which=st.sampled_from(sorted((s, m, t) for s, r in FAMILY_ROUTES.items() for m, t in r)),
)
@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
async def test_no_path_text_makes_a_family_route_answer_5xx(
    services: dict[str, FastAPI], text: str, safe: str, which: tuple[str, str, str]
) -> None:
    service, method, template = which
    path = template.format(token=quote(text, safe=safe), document_id=uuid4())
    answer = await _ask(services[service], method, path)
    assert answer.status_code < 500, (service, method, path, answer.text[:200])
