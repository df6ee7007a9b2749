"""OpenTelemetry setup and trace-context helpers.

Span attributes must hold ids only, never names, contact details or needs.

(Longer than most modules: the tracing setup and every trace-context helper the services
share, which must agree with each other, read together.)
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import httpx
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.environment_variables import (
    OTEL_EXPORTER_OTLP_ENDPOINT,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    OTEL_EXPORTER_ZIPKIN_ENDPOINT,
)
from opentelemetry.sdk.resources import SERVICE_NAME, OTELResourceDetector, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Span
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.http import (
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS,
    get_custom_headers,
)

_PROPAGATOR = TraceContextTextMapPropagator()


def tracer_provider(default_service_name: str) -> TracerProvider:
    """A tracer provider configured by the standard OpenTelemetry environment variables.

    - ``OTEL_SERVICE_NAME`` / ``OTEL_RESOURCE_ATTRIBUTES``: the resource; the service's own
      name is used only when neither names the service.
    - ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` (the full URL) or ``OTEL_EXPORTER_OTLP_ENDPOINT``
      (a base URL, ``/v1/traces`` added): spans are exported over OTLP/HTTP only when one of
      them is set; the exporter reads them itself, with ``OTEL_EXPORTER_OTLP_*_HEADERS``,
      ``_TIMEOUT``, ``_COMPRESSION`` and the certificate variables.
    - ``OTEL_EXPORTER_ZIPKIN_ENDPOINT`` (``http://127.0.0.1:9411/api/v2/spans``): spans are
      also exported to a Zipkin server, as JSON (``make run``'s trace UI; the exporter reads
      it and ``OTEL_EXPORTER_ZIPKIN_TIMEOUT`` itself).
    - ``OTEL_TRACES_SAMPLER`` / ``OTEL_TRACES_SAMPLER_ARG``, ``OTEL_BSP_*``,
      ``OTEL_SDK_DISABLED``: read by the SDK.
    """
    named = OTELResourceDetector().detect().attributes.get(SERVICE_NAME)
    resource = Resource.create() if named else Resource.create({SERVICE_NAME: default_service_name})
    provider = TracerProvider(resource=resource)
    for exporter in (span_exporter(), zipkin_exporter()):
        if exporter is not None:
            provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def zipkin_exporter() -> SpanExporter | None:
    """A Zipkin (JSON over HTTP) exporter when ``OTEL_EXPORTER_ZIPKIN_ENDPOINT`` is set, else
    none. Zipkin's server takes no OTLP, so the local trace UI gets spans this way; a
    cluster's collector takes OTLP."""
    if not os.environ.get(OTEL_EXPORTER_ZIPKIN_ENDPOINT):
        return None
    from opentelemetry.exporter.zipkin.json import ZipkinExporter

    return ZipkinExporter()


def span_exporter() -> SpanExporter | None:
    """An OTLP/HTTP exporter when ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` or
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (it reads them itself), else none: spans stay in
    the process."""
    if not (
        os.environ.get(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
        or os.environ.get(OTEL_EXPORTER_OTLP_ENDPOINT)
    ):
        return None
    # Imported here: the exporter pulls in protobuf, which a process without OTLP skips.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def setup_tracing(service_name: str) -> TracerProvider:
    """Install ``tracer_provider(service_name)`` for this process and return it.

    Called once per process. When a provider is already installed (several services in one
    test process) it is returned as it is, so all their spans reach the same exporter.
    """
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = tracer_provider(service_name)
    trace.set_tracer_provider(provider)
    return provider


def current_trace_headers() -> dict[str, str]:
    """The current span's W3C ``traceparent`` (and ``tracestate``) as a dict, for the outbox."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier


def tag_current_span(
    *, referral_id: str, event_id: str | None = None, event_type: str | None = None
) -> None:
    """Put the ids an operator searches by on the current span (ids only, never personal data)."""
    trace.get_current_span().set_attributes(
        span_ids(referral_id=referral_id, event_id=event_id, event_type=event_type)
    )


def span_ids(
    *, referral_id: str, event_id: str | None = None, event_type: str | None = None
) -> dict[str, str]:
    """The ids an operator searches by, as span attributes: for a span that has them from its
    start (a consumed event's ``<topic> handle``: given at once, not set one by one after)."""
    ids = {
        "send.referral_id": referral_id,
        "send.event_id": event_id,
        "send.event_type": event_type,
    }
    return {name: value for name, value in ids.items() if value is not None}


@contextmanager
def continued_trace(headers: dict[str, str]) -> Iterator[None]:
    """Make the trace stored in ``headers`` current for the block (the relay's publish)."""
    # A fresh context: the relay's own bookkeeping runs with instrumentation suppressed, and
    # that flag must not leak into the publish it continues.
    token = otel_context.attach(_PROPAGATOR.extract(headers, context=otel_context.Context()))
    try:
        yield
    finally:
        otel_context.detach(token)


SECRET_HEADERS = ["^(authorization|cookie|set-cookie|referer|location)$"]
"""Headers recorded as ``[REDACTED]`` if an operator has OpenTelemetry capture headers
(``OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_*``): sign-in tokens, and the family
page's own address (a ``Referer`` from it, a redirect back to it) holds the family's link."""


def sanitized_headers() -> list[str]:
    """``SECRET_HEADERS`` and any the operator names in
    ``OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS`` (given explicitly to the
    instrumentation, ours would replace theirs)."""
    theirs = get_custom_headers(OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS)
    return [*SECRET_HEADERS, *theirs]


_PATH_ATTRIBUTES = ("http.target", "url.path")  # the old and the stable HTTP conventions
_URL_ATTRIBUTES = ("http.url", "url.full")


def family_links_unrecorded(
    family_prefix: str, *link_prefixes: str
) -> Callable[[Span, MutableMapping[str, Any]], None]:
    """A ``server_request_hook`` for the FastAPI instrumentation: a request under
    ``family_prefix`` carries a family's link in its path (a key to a child's plan for 90
    days), which the instrumentation records on the server span (``http.target``,
    ``http.url``, or ``url.path``, ``url.full``). The hook runs as the span starts, before the
    route, and records the route template instead (``/v1/family/{token}/plan``: the
    instrumentation's own ``http.route``, which names the span too), or ``<prefix>/…`` for a
    path no route has; so under ``link_prefixes`` (an adviser's link). Others are kept."""
    prefixes = [p.rstrip("/") for p in (family_prefix, *link_prefixes)]

    def hook(span: Span, scope: MutableMapping[str, Any]) -> None:
        path = str(scope.get("path", ""))
        prefix = next((p for p in prefixes if path.startswith(f"{p}/")), None)
        if prefix is None:
            return
        recorded: dict[str, Any] = dict(getattr(span, "attributes", None) or {})
        shown = str(recorded.get("http.route") or f"{prefix}/…")
        for key in _PATH_ATTRIBUTES:
            if key in recorded:
                span.set_attribute(key, shown)
        for key in _URL_ATTRIBUTES:
            if key in recorded:
                url = str(recorded[key])
                start = url.find(path)
                span.set_attribute(key, shown if start < 0 else url[:start] + shown)

    return hook


def family_links_unrecorded_in_calls(
    family_prefix: str, *link_prefixes: str
) -> Callable[[Span, Any], Awaitable[None]]:
    """A ``request_hook`` for the HTTPX instrumentation of an ``AsyncClient``: a call to a
    service's family route carries the family's link in its URL (the workspace's family page
    asks referrals for ``/v1/family/{token}``), which the client span records (``http.url``,
    ``url.full``); the hook records it with the link as ``{token}`` (so ``link_prefixes``)."""
    prefixes = [p.rstrip("/") for p in (family_prefix, *link_prefixes)]

    async def hook(span: Span, request: Any) -> None:
        url = request.url  # httpx.URL, or (scheme, host, port, raw path) from a transport
        raw = url.raw_path if isinstance(url, httpx.URL) else url[3]
        path = bytes(raw).decode("ascii", "replace").split("?", 1)[0]
        prefix = next((p for p in prefixes if path.startswith(f"{p}/")), None)
        link = path[len(prefix) + 1 :].split("/", 1)[0] if prefix is not None else ""
        if not link:
            return
        recorded: dict[str, Any] = dict(getattr(span, "attributes", None) or {})
        for key in (*_PATH_ATTRIBUTES, *_URL_ATTRIBUTES):
            if key in recorded:
                span.set_attribute(key, str(recorded[key]).replace(link, "{token}"))

    return hook
