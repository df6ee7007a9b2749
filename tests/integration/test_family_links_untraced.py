"""A family link is a key to a child's plan for 90 days: anyone who reads traces or logs must
never find one there. Every family route of referrals and plans is called (the view, the plan
page, the PDF, comments as JSON and as the form, a bad and an expired link, a path no route
has) with every request and response header captured, as an operator might configure it; no
span's name, attributes or events, and no log record the services write, holds the token.
Real PostgreSQL; the spans are read from an in-memory exporter on the services' provider."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from web.app import create_app as create_web_app
from web.config import WebSettings

from scripts.platform import IdentityProvider, migrations_of
from shared.services import LOCAL_SERVICE_USER, with_user
from shared.telemetry import setup_tracing
from tests.conftest import Databases
from tests.integration.messaging import serving
from tests.integration.plans_app import drafted
from tests.integration.plans_family import link, plans_service
from tests.integration.referrals_app import referral_body, referrals_service, signed_in

HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}


@pytest.fixture
def exporter(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    # What an operator could turn on: every header of every request and response on the
    # server span (a Referer or a redirect's Location would carry the link).
    for variable in ("SERVER_REQUEST", "SERVER_RESPONSE"):
        monkeypatch.setenv(f"OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_{variable}", ".*")
    spans = InMemorySpanExporter()
    processor = SimpleSpanProcessor(spans)
    setup_tracing("tests").add_span_processor(processor)  # the provider the services use
    yield spans
    processor.shutdown()  # it stays on the provider, storing nothing


@pytest.fixture
async def services(
    databases: Databases, identity: IdentityProvider, exporter: InMemorySpanExporter
) -> AsyncIterator[dict[str, FastAPI]]:
    referrals_url = await databases.fresh("untraced-r", "referrals", migrations_of("referrals"))
    plans_url = await databases.fresh("untraced-p", "plans", migrations_of("plans"))
    async with (
        referrals_service(referrals_url, identity) as referrals,
        plans_service(plans_url, identity) as plans,
    ):
        caseworker = await signed_in(referrals, identity, "leeds-caseworker")
        async with caseworker:
            created = await caseworker.post("/v1/referrals", json=referral_body())
            assert created.status_code == 201, created.text
        referral_id = UUID(created.json()["id"])
        await drafted(plans_url, referral_id=referral_id)
        async with await signed_in(plans, identity, "leeds-caseworker") as caseworker:
            shared = await caseworker.post(f"/v1/referrals/{referral_id}/plan/share", json={})
            assert shared.status_code == 200, shared.text
        plans.state.referral_id = referral_id
        yield {"referrals": referrals, "plans": plans}


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def _strings(span: ReadableSpan) -> list[str]:
    """Everything a trace store would show of ``span``."""
    said = [span.name, *map(str, (span.attributes or {}).values())]
    for event in span.events:
        said += [event.name, *map(str, (event.attributes or {}).values())]
    return said


async def test_no_family_link_reaches_a_span_or_a_log_line(
    services: dict[str, FastAPI],
    exporter: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    referral_id = services["plans"].state.referral_id
    good = link(referral_id)
    tokens = {
        "good": good,
        "expired": link(referral_id, now=datetime.now(UTC) - timedelta(days=2)),
        "bad": good[:-6],
    }
    answers: list[int] = []
    caplog.set_level(logging.DEBUG)
    # The plan's PDF (one of the routes above) is where the services log: WeasyPrint, a line
    # per step. Plans and referrals' letters quiet those lines on every render, and once
    # WeasyPrint is loaded (by an earlier test in this process) nothing else here logs: let
    # them speak, so the check below reads real lines rather than none.
    progress = logging.getLogger("weasyprint.progress")
    monkeypatch.setattr(progress, "setLevel", lambda level: None)
    monkeypatch.setattr(progress, "level", logging.DEBUG)
    exporter.clear()
    async with _client(services["referrals"]) as referrals, _client(services["plans"]) as plans:
        for token in tokens.values():
            answers += [
                (await referrals.get(f"/v1/family/{token}")).status_code,
                (await referrals.get(f"/v1/family/{token}/unknown")).status_code,
                (await plans.get(f"/v1/family/{token}/plan")).status_code,
                (await plans.get(f"/v1/family/{token}/plan", headers=HTML)).status_code,
                (await plans.get(f"/v1/family/{token}/plan.pdf")).status_code,
                (await plans.get(f"/v1/family/{token}/elsewhere")).status_code,
                (
                    await plans.post(
                        f"/v1/family/{token}/plan/comments",
                        json={"comments": "More help at lunchtime"},
                        headers={"Referer": f"http://test/v1/family/{token}/plan"},
                    )
                ).status_code,
                (
                    await plans.post(
                        f"/v1/family/{token}/plan/comments",
                        json={"comments": "More help at lunchtime, please."},
                    )
                ).status_code,
            ]
    # The good link opened everything (the first comments were taken; a second answer is
    # refused: the plan went back to the caseworker), the others nothing.
    assert answers[:8] == [200, 404, 200, 200, 200, 404, 201, 409], answers
    assert set(answers[8:]) == {401, 404}, answers

    spans = exporter.get_finished_spans()
    servers = [s for s in spans if s.attributes and "http.route" in s.attributes]
    assert len(servers) >= 6 * len(tokens)  # the routes' server spans were all recorded
    for span in spans:
        for said in _strings(span):
            for case, token in tokens.items():
                assert token not in said, (case, span.name, said)
    routes = {str(s.attributes["http.route"]) for s in servers if s.attributes}
    assert "/v1/family/{token}/plan.pdf" in routes
    targets = {
        str(s.attributes.get("http.target") or s.attributes.get("url.path"))
        for s in spans
        if s.attributes and ("http.target" in s.attributes or "url.path" in s.attributes)
    }
    # Recorded as the route template, and a path no route has with its link cut out.
    assert "/v1/family/{token}/plan/comments" in targets, targets
    assert "/v1/family/{token}" in targets, targets

    # The test's own HTTP client logs the URLs it calls (httpx): not the services' lines.
    services_records = [r for r in caplog.records if not r.name.startswith("httpx")]
    assert services_records  # the services did log (their audits, their SQL...)
    for record in services_records:
        line = f"{record.getMessage()} {record.__dict__}"
        for case, token in tokens.items():
            assert token not in line, (case, record.name, record.getMessage())


async def test_no_family_link_reaches_a_span_or_a_log_line_of_the_workspace(
    databases: Databases,
    services: dict[str, FastAPI],
    exporter: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The workspace's family pages (services/web) take the link in their own path, keep it in
    # the session and call referrals and plans with it in the URL.
    referral_id = services["plans"].state.referral_id
    tokens = {
        "good": link(referral_id),
        "expired": link(referral_id, now=datetime.now(UTC) - timedelta(days=2)),
        "bad": link(referral_id)[:-6],
    }
    web_url = await databases.fresh("untraced-w", "web", migrations_of("web"))
    caplog.set_level(logging.DEBUG)
    pages: list[list[int]] = []
    async with (
        serving(services["referrals"]) as referrals_url,
        serving(services["plans"]) as plans_url,
    ):
        web = create_web_app(
            WebSettings(
                database_url=with_user(web_url, LOCAL_SERVICE_USER, LOCAL_SERVICE_USER),
                referrals_url=referrals_url,
                plans_url=plans_url,
                rate_limit_family="100000/minute",
            )
        )
        async with web.router.lifespan_context(web):
            exporter.clear()
            for token in tokens.values():
                async with _client(web) as family:  # a browser of its own: its own session
                    pages.append(
                        [
                            (await family.get(f"/family/{token}")).status_code,
                            (await family.get("/family")).status_code,
                            (await family.get(f"/family/{token}/plan")).status_code,
                            (await family.get("/family/plan")).status_code,
                            (await family.get("/family/plan.pdf")).status_code,
                            (await family.get(f"/family/{token}", headers=JSON)).status_code,
                        ]
                    )
    # The link kept and the browser sent on (303), then each page through the services.
    assert pages == [[303, 200, 303, 200, 200, 200], *[[303, 401, 303, 401, 401, 401]] * 2]

    spans = exporter.get_finished_spans()
    calls = [s for s in spans if s.kind is SpanKind.CLIENT]
    assert len(calls) >= 4 * len(tokens)  # the workspace's calls to the services were traced
    for span in spans:
        for said in _strings(span):
            for case, token in tokens.items():
                assert token not in said, (case, span.name, said)
    for record in caplog.records:
        if record.name.startswith("httpx") and "http://test/" in record.getMessage():
            continue  # the test's own client (the workspace's calls go to the services)
        for case, token in tokens.items():
            assert token not in f"{record.getMessage()} {record.__dict__}", (case, record.name)
