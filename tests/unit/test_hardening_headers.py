"""Every response carries the security headers: a service's own JSON, its errors, its
operators' routes and its documentation pages, whose policies allow what they load."""

from __future__ import annotations

from collections.abc import AsyncIterator
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from referrals.app import create_app
from referrals.config import ReferralsSettings

from scripts.run_platform import sample_referral
from shared.hardening import harden
from shared.http import connection
from shared.security_headers import API_POLICY
from tests.unit.hardened_app import SIGNED_IN, client_of, hardened_app, signed_in

COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
    "cross-origin-resource-policy": "same-origin",
}


def assert_secured(response: httpx.Response, policy: str = API_POLICY) -> None:
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    for name, value in COMMON.items():
        assert response.headers.get(name) == value, f"{where}: {name}"
    assert response.headers.get("content-security-policy") == policy, where
    assert "strict-transport-security" not in response.headers, where


async def _no_connection() -> AsyncIterator[None]:
    yield None  # never used: the body is refused before the route runs


@pytest.fixture
async def referrals() -> AsyncIterator[httpx.AsyncClient]:
    """The real referrals app, not started: its database is not open, so routes that need
    it answer 503, as in an outage."""
    async with client_of(signed_in(create_app())) as client:
        yield client


async def test_every_kind_of_response_of_a_service_carries_the_security_headers(
    referrals: httpx.AsyncClient,
) -> None:
    responses = [
        await referrals.get("/health/live"),  # 200 JSON
        await referrals.get("/openapi.json"),
        await referrals.get("/metrics"),  # Prometheus text
        await referrals.get("/asyncapi.json"),
        await referrals.get("/v1/no-such-thing"),  # 404
        await referrals.delete("/health/live"),  # 405
        await referrals.post("/v1/referrals", json=sample_referral(), headers=SIGNED_IN),  # 503
        await referrals.post("/v1/referrals", content=b"x" * 70_000),  # 413
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 404, 405, 503, 413]
    for response in responses:
        assert_secured(response)


async def test_a_422_and_a_500_carry_the_security_headers() -> None:
    app = hardened_app()
    async with client_of(app) as client:
        invalid = await client.post("/v1/things", json={"given_name": "A"})
        broken = await client.get("/v1/broken")
    assert (invalid.status_code, broken.status_code) == (422, 500)
    assert_secured(invalid)
    assert_secured(broken)


async def test_a_429_carries_the_security_headers() -> None:
    async with client_of(hardened_app(rate_limit_family="1/minute")) as client:
        await client.get("/v1/family/abc")
        refused = await client.get("/v1/family/abc")
    assert refused.status_code == 429
    assert_secured(refused)


async def test_hsts_is_sent_only_when_configured() -> None:
    async with client_of(hardened_app(hsts_seconds=31_536_000)) as client:
        response = await client.get("/v1/things")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    async with client_of(hardened_app()) as client:
        assert "strict-transport-security" not in (await client.get("/v1/things")).headers


async def test_a_header_a_route_sets_itself_is_kept() -> None:
    app = FastAPI()

    @app.get("/cached")
    async def cached() -> JSONResponse:
        return JSONResponse({}, headers={"Cache-Control": "max-age=60"})

    harden(app, ReferralsSettings())
    async with client_of(app) as client:
        response = await client.get("/cached")
    assert response.headers["cache-control"] == "max-age=60"
    assert response.headers["x-frame-options"] == "DENY"


class _Loads(HTMLParser):
    """What an HTML page makes the browser load or run, by CSP directive."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[tuple[str, str]] = []  # (directive, URL)
        self.inline: set[str] = set()
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "script":
            if a.get("src"):
                self.sources.append(("script-src", a["src"]))
            else:
                self._open = "script-src"
        elif tag == "style":
            self._open = "style-src"
        elif tag == "link" and "stylesheet" in a.get("rel", ""):
            self.sources.append(("style-src", a["href"]))
        elif tag == "link" and "icon" in a.get("rel", ""):
            self.sources.append(("img-src", a["href"]))

    def handle_data(self, data: str) -> None:
        if self._open and data.strip():
            self.inline.add(self._open)

    def handle_endtag(self, tag: str) -> None:
        self._open = None


def _directives(policy: str) -> dict[str, list[str]]:
    parts = [d.split() for d in policy.split(";") if d.strip()]
    return {d[0]: d[1:] for d in parts}


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/asyncapi"])
async def test_a_documentation_page_may_load_what_it_loads_and_nothing_else(
    referrals: httpx.AsyncClient, path: str
) -> None:
    page = await referrals.get(path)
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert policy != API_POLICY
    assert_secured(page, policy)
    directives = _directives(policy)
    assert directives["default-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    loads = _Loads()
    loads.feed(page.text)
    assert loads.sources, "the page loads nothing: the parser no longer sees its tags"
    for directive, url in loads.sources:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else "'self'"
        assert origin in directives.get(directive, []), f"{path} loads {url}: not in {directive}"
    for directive in loads.inline:
        assert "'unsafe-inline'" in directives[directive], f"{path}: inline {directive}"
    allowed = {origin for values in directives.values() for origin in values}
    loaded = {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for _, u in loads.sources}
    runtime_only = {"https://fonts.gstatic.com"}  # ReDoc's stylesheet loads the font files
    unused = {o for o in allowed if o.startswith("https://")} - loaded - runtime_only
    assert not unused, f"{path} allows origins it does not load: {unused}"


async def test_a_422_for_a_bad_body_of_a_service_is_answered_with_security_headers() -> None:
    app = signed_in(create_app())
    app.dependency_overrides[connection] = _no_connection
    async with client_of(app) as client:
        response = await client.post("/v1/referrals", json={"child": {}}, headers=SIGNED_IN)
    assert response.status_code == 422
    assert_secured(response)
