"""A bound on the requests a process serves at once, applied below the application: past
``HTTP_IN_FLIGHT`` every other request is answered 503 with ``Retry-After`` at once (issue #25).

Why below the application: at 300 referrals a second on two cores most POSTs were never
answered at all, not even refused. A request reaches the referrals' own intake gate only after
the OpenTelemetry middleware has made its span (and two more for sending the answer) and
Starlette's error middleware has wrapped it: refusing cost almost as much as a cheap answer, and
a process that is short of CPU could not refuse as fast as requests came. Here the refusal is
the first thing the process does with a request, before any span, parsing, authentication or
database work: a counter, and an answer of bytes made once.

Why not uvicorn's own ``--limit-concurrency``: its 503 carries no ``Retry-After`` (a plain
"Service Unavailable"), it counts idle keep-alive connections as well as requests (a client
holding connections open is refused everything), it logs a warning for every refusal (the
cost it should save), and it refuses the health probes too, so an overloaded pod would be
restarted by its liveness probe, losing what it was doing. The probes (``/health/...``) and
``/metrics`` are never counted nor refused: they are how an overload is seen.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Gauge
from starlette.types import ASGIApp, Receive, Scope, Send

UNCOUNTED = ("/health/", "/metrics")
"""Paths never counted nor refused: the probes and the scrape that show an overload."""

BUSY = "busy: this service is serving as many requests as it can; try again in a second"


class InFlightLimit:
    """Outermost ASGI middleware: at most ``most`` requests served at once; any other is
    answered 503 with ``Retry-After`` without being read."""

    def __init__(
        self, app: ASGIApp, *, most: int, registry: CollectorRegistry, retry_after_s: int = 1
    ) -> None:
        self.app = app
        self.most = most
        self.serving = 0
        # The app's own metrics (``registry``), not the process's: tests run several apps.
        in_flight = Gauge(
            "send_http_in_flight",
            "HTTP requests this process is serving now (health probes and /metrics left out)",
            registry=registry,
        )
        # Read when scraped, rather than a gauge raised and lowered (each under a lock) around
        # every request: a few % of a GOV.UK Notify receipt's HTTP path (#25).
        in_flight.set_function(lambda: self.serving)
        self.refused = Counter(
            "send_http_refused",
            "HTTP requests answered 503 at once because HTTP_IN_FLIGHT were being served",
            registry=registry,
        )
        body = json.dumps({"detail": BUSY}).encode()
        self._start = {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after_s).encode()),
            ],
        }
        self._body = {"type": "http.response.body", "body": body, "more_body": False}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNCOUNTED):
            await self.app(scope, receive, send)
            return
        if self.serving >= self.most:
            self.refused.inc()
            await send(self._start)
            await send(self._body)
            return
        self.serving += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.serving -= 1


def outermost(app: FastAPI, wrap: Callable[[ASGIApp], ASGIApp]) -> None:
    """Put ``wrap`` around everything ``app`` runs for a request, outside the middleware that
    ``add_middleware`` adds and outside OpenTelemetry's (which its instrumentation puts outside
    Starlette's own, the same way): the first code a request meets. Each call goes outside the
    last one's."""
    built = app.build_middleware_stack

    def build_middleware_stack() -> ASGIApp:
        return wrap(built())

    # Starlette builds the stack once, at the first request, by calling this method: replacing
    # it on the instance is how OpenTelemetry's FastAPI instrumentation puts itself outermost.
    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]  # see above
