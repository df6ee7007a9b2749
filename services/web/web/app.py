"""Wires the workspace. Run with ``uvicorn web.app:create_app --factory``.

The workspace is a backend for the frontend: it renders pages from the services' APIs, called
with the signed-in person's own token, and keeps no children's records. Its database holds
sessions only.

(Longer than most modules: it wires every page's router, the uploads' size limits, the family,
adviser and request links kept out of logs and traces, and the sign-in, in one place a reader
checks whole.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

from shared import operations
from shared.adviser_links import ADVISER_PATH_PREFIX
from shared.db import Database
from shared.hardening import harden
from shared.in_flight import InFlightLimit, outermost
from shared.logs import configure_logging
from shared.metrics import EventLoopLag, service_registry
from shared.pool_metrics import DatabasePools
from shared.state import install
from shared.telemetry import (
    family_links_unrecorded,
    family_links_unrecorded_in_calls,
    sanitized_headers,
    setup_tracing,
)
from web import (
    accessibility,
    caseload,
    errors,
    family,
    live_plans,
    open_requests,
    plan,
    practitioner,
    referral,
    request,
    school,
    school_documents,
    school_plan,
    sen2,
    signin,
    steps,
    transfer_in,
    transfers,
)
from web import advisers as adviser_pages
from web import documents as document_pages
from web.audit import routes as audit
from web.backends import Backends
from web.config import WebSettings
from web.pages import STATIC
from web.registry import entries as registry_entries
from web.registry import importing as registry_import
from web.registry import listing as registry_listing
from web.reports import routes as reports
from web.sessions import Sessions, SessionStore, fernet_of
from web.state import Opened, Workspace

logger = logging.getLogger(__name__)

SWEEP_EVERY_S = 300
API_KEEPALIVE_S = 2.0
"""How long the workspace keeps an idle connection to a service for its next call: well under
the services' own keep-alive (uvicorn's ``timeout_keep_alive``, 5 s). Equal to it (httpx's
default, 5 s), a call could go out on a connection the service was closing that moment and
fail with ``ReadError``: a caseworker's page "unavailable" (seen in a loaded ``make test``).
A GET that still meets a closed connection goes once more (``web.backends.STALE_CONNECTION``)."""
SERVICES_FAMILY_PREFIX = "/v1/family"
"""Where the services' family routes are (their ``FAMILY_PATH_PREFIX``): the family page's
calls to referrals there carry the family's link."""

ROUTERS = (
    signin.router,
    caseload.router,
    transfers.router,
    referral.router,
    document_pages.router,
    steps.router,
    *request.ROUTERS,  # its /family/confirm/{token} before the family link's /family/{token}
    *family.ROUTERS,
    adviser_pages.router,
    plan.router,
    accessibility.router,
    audit.router,
    reports.router,
    live_plans.router,
    open_requests.router,
    transfer_in.router,
    sen2.router,
    registry_import.router,
    registry_listing.router,
    registry_entries.router,
    practitioner.router,
    school.router,
    school_documents.router,
    school_plan.router,
)
"""Every page of the workspace (``tests/integration/test_web_access.py`` walks them; the
chart's ingress routes their paths, checked by ``tests/deploy/test_chart_contents.py``)."""
STATIC_PATH = "/static"
UPLOADS = (
    *document_pages.UPLOADS,
    *adviser_pages.UPLOADS,
    *school_documents.UPLOADS,
    *request.evidence.UPLOADS,
    *live_plans.UPLOADS,
    *open_requests.UPLOADS,
)
"""The pages that take a document: their body may reach ``MAX_UPLOAD_BYTES``."""


def page_policy(settings: WebSettings) -> str:
    """The pages' Content-Security-Policy: the workspace's own stylesheets and images, no
    script at all, forms posting to itself (and the sign-out's redirect to the identity
    provider, which browsers check against ``form-action`` too)."""
    issuer = urlsplit(settings.oidc_issuer)
    provider = f"{issuer.scheme}://{issuer.netloc}"
    return (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        f"form-action 'self' {provider}; base-uri 'none'; frame-ancestors 'none'"
    )


def create_app(settings: WebSettings | None = None) -> FastAPI:
    settings = settings or WebSettings()
    service = settings.service
    configure_logging(
        service.name,
        settings.log_level,
        log_format=settings.log_format,
        repeat_interval_s=settings.log_repeat_interval_s,
        family_prefix=settings.family_path_prefix,
        link_prefixes=[adviser_pages.PREFIX],
    )
    # httpx writes each request's address at INFO, and a call to a service's family route
    # holds the family's link in it: its lines are left to warnings and worse.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    registry = service_registry()
    loop_lag = EventLoopLag(registry=registry)
    tracer_provider = setup_tracing(service.name)
    database = Database(settings.database_url, max_size=settings.db_pool_max_size)
    DatabasePools({"http": database}, registry=registry)
    store = SessionStore(
        database,
        fernet_of(settings.session_keys.get_secret_value()),
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    )

    opened = Opened()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await database.open()
        client = httpx.AsyncClient(
            timeout=settings.api_timeout_s,
            limits=httpx.Limits(
                max_connections=100,
                max_keepalive_connections=20,
                keepalive_expiry=API_KEEPALIVE_S,
            ),
        )
        HTTPXClientInstrumentor.instrument_client(
            client,
            tracer_provider=tracer_provider,
            # The family's pages call referrals and plans with the family's link in the URL.
            request_hook=family_links_unrecorded_in_calls(
                SERVICES_FAMILY_PREFIX, ADVISER_PATH_PREFIX
            ),
        )
        opened.backends = Backends(client, settings.api_urls)
        sweeping = asyncio.create_task(_sweep(store), name="session-sweep")
        measuring = asyncio.create_task(loop_lag.run(), name="event-loop-lag")
        try:
            yield
        finally:
            for task in (sweeping, measuring):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await client.aclose()
            await database.close()

    app = FastAPI(
        title=service.title,
        description=service.description,
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    install(
        app,
        Workspace(
            operations=operations.Operations(
                checks={"postgres": database.check},
                registry=registry,
                asyncapi=lambda: {},
            ),
            public_docs=False,
            settings=settings,
            sessions=store,
            oauth=signin.oauth_client(settings),
            opened=opened,
        ),
    )
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=tracer_provider,
        excluded_urls="health/.*,metrics,static/.*",
        server_request_hook=family_links_unrecorded(
            settings.family_path_prefix, adviser_pages.PREFIX
        ),
        http_capture_headers_sanitize_fields=sanitized_headers(),
    )
    app.include_router(operations.router)
    for routes in ROUTERS:
        app.include_router(routes)
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC), name="static")
    errors.install(app)
    harden(app, settings, page_policy=page_policy(settings), uploads=UPLOADS)
    # Outside the rate limits (added last: outermost), so that they count a signed-in person
    # by their session, not by the address a whole council office shares.
    app.add_middleware(Sessions, store=store, secure=settings.secure_cookies)
    # Outside everything, OpenTelemetry's middleware and the sessions' lookup too, as on the
    # event services (shared.lifecycle): past HTTP_IN_FLIGHT pages a process is serving, any
    # other is answered 503 with Retry-After before its span or its session's database read;
    # the probes and /metrics never counted nor refused (issue #25).
    outermost(
        app, lambda inner: InFlightLimit(inner, most=settings.http_in_flight, registry=registry)
    )
    return app


async def _sweep(store: SessionStore) -> None:
    """Sessions past their expiry are deleted (a person who never signs out leaves one)."""
    while True:
        await asyncio.sleep(SWEEP_EVERY_S)
        try:
            await store.sweep()
        except Exception as exc:  # the database is down: next time
            logger.warning("session sweep failed (%s)", type(exc).__name__)
