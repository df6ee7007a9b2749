"""The routes every service has for its operators: health, metrics and the AsyncAPI document.

Module-level, like every router: each reads what it needs from the application's typed state
(``shared.state``), which the service's lifecycle (``shared.lifecycle``) builds.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, Response
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from faststream.specification.asyncapi.site import get_asyncapi_html
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from shared.events import CLOUDEVENTS_CONTENT_TYPE
from shared.state import state_of

router = APIRouter()


@dataclass(frozen=True)
class Operations:
    """What the operations routes read: readiness checks, metrics and the event document."""

    checks: dict[str, Callable[[], Awaitable[str]]]
    registry: CollectorRegistry
    asyncapi: Callable[[], dict[str, Any]]


def _operations(request: Request) -> Operations:
    return state_of(request).operations


def asyncapi_document(broker: KafkaBroker, *, title: str, description: str) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of ``broker``'s subscribers and publishers, generated from
    the code, with the real content type of every message (a structured-mode CloudEvent)."""
    spec: dict[str, Any] = (
        AsyncAPI(broker, title=title, version="1", description=description)
        .to_specification()
        .to_jsonable()
    )
    spec["defaultContentType"] = CLOUDEVENTS_CONTENT_TYPE
    for message in spec.get("components", {}).get("messages", {}).values():
        message["contentType"] = CLOUDEVENTS_CONTENT_TYPE
    return spec


@router.get("/health/live", tags=["operations"], operation_id="live")
async def live() -> dict[str, str]:
    """The process is up (restart it if this fails)."""
    return {"status": "live"}


READINESS = "postgres"
"""The one check readiness depends on. An API pod needs its database to do its work; while
Kafka is down it still takes referrals into the outbox (the relay catches up once Kafka is
back), so taking every pod out of service for Kafka would refuse work it could accept. Kafka's
state is still reported here, in metrics and in alerts."""


@router.get(
    "/health/ready",
    tags=["operations"],
    operation_id="ready",
    responses={503: {"description": "PostgreSQL is not reachable; `checks` says what is wrong"}},
)
async def ready(request: Request) -> JSONResponse:
    """Whether the service can do its work: PostgreSQL reachable. ``checks`` also says
    whether Kafka is (``ok``, ``connecting`` or ``unavailable``), which readiness ignores."""
    checks = _operations(request).checks
    results = await asyncio.gather(*(check() for check in checks.values()))
    states = dict(zip(checks, results, strict=True))
    ok = states.get(READINESS, "ok") == "ok"
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": states},
        status_code=200 if ok else 503,
    )


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus' text format, or OpenMetrics when the scraper asks for it (Prometheus does):
    only OpenMetrics carries the histograms' exemplars, each a trace id that links a
    dashboard's point to its trace."""
    # A route rather than a mounted app: no redirect from /metrics to /metrics/.
    encode, media_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(_operations(request).registry), media_type=media_type)


async def _public_docs(request: Request) -> None:
    if not state_of(request).public_docs:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Not Found")


@router.get("/asyncapi.json", include_in_schema=False, dependencies=[Depends(_public_docs)])
async def asyncapi_json(request: Request) -> JSONResponse:
    return JSONResponse(_operations(request).asyncapi())


@dataclass(frozen=True)
class _Document:
    """The document as FastStream's HTML page reads it (its ``Specification`` protocol)."""

    body: dict[str, Any]

    @property
    def title(self) -> str:
        return str(self.body["info"]["title"])

    def to_json(self) -> str:
        return json.dumps(self.body)

    def to_jsonable(self) -> Any:
        return self.body

    def to_yaml(self) -> str:
        raise NotImplementedError("served as JSON only")


@router.get("/asyncapi", include_in_schema=False, dependencies=[Depends(_public_docs)])
async def asyncapi_html(request: Request) -> HTMLResponse:
    document = _Document(_operations(request).asyncapi())
    return HTMLResponse(get_asyncapi_html(document, try_it_out_path=None))
