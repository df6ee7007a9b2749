"""Logging set-up of a service process: one JSON object per line on stderr, carrying the
current trace's ids, for every logger of the process (ours, uvicorn's, FastStream's, aiokafka's).

Log lines hold ids only, never names, contact details or needs.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Literal, TextIO

from opentelemetry import trace
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from shared.log_limits import RepeatedLines

LogFormat = Literal["json", "text"]

# Loggers that libraries give handlers of their own (and ``propagate = False``): uvicorn's
# from its default logging config, FastStream's at import. Without their handlers and
# propagating, their lines reach the one handler below, formatted like ours, once. Taken over
# when the app is built: uvicorn configures its loggers before it calls the app factory.
_LIBRARY_LOGGERS = (
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "faststream",
    "faststream.access",
    "faststream.access.kafka",
)

BROKER_LOGGER = "faststream.access.kafka"
"""The logger FastStream's Kafka broker writes its access lines to (``Received``,
``Processed``, with the topic, group and message id); passed to the broker as ``logger=`` so
that FastStream does not give it a stdout handler and colour codes of its own."""

_TEXT_FORMAT = "%(asctime)s %(levelname)s {service} %(name)s [trace %(trace_id)s]: %(message)s"


class TraceContext(logging.Filter):
    """Puts the current span's ``trace_id`` and ``span_id`` (lower-case hex, as in a W3C
    ``traceparent``) on each record, so a log line leads to its trace and back.

    A filter on the handler, not a log-record factory: it runs in the thread and context that
    logged, touches only the records this process writes, and leaves the ids off a line
    logged outside any span rather than writing zeros.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = trace.format_trace_id(context.trace_id)
            record.span_id = trace.format_span_id(context.span_id)
        return True


class _StandardError(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is when a line is written, not when the handler was
    made (a test runner swaps it per test; a stream kept from an earlier test is closed)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass  # always sys.stderr


def _formatter(service: str, log_format: LogFormat) -> logging.Formatter:
    if log_format == "text":
        return logging.Formatter(_TEXT_FORMAT.format(service=service), defaults={"trace_id": "-"})
    return JsonFormatter(
        ["levelname", "name", "message"],
        rename_fields={"levelname": "level", "name": "logger"},
        static_fields={"service": service},
        timestamp="time",  # ISO 8601, UTC
        # uvicorn adds a copy of some messages with terminal colour codes: not for a log store.
        reserved_attrs=[*RESERVED_ATTRS, "color_message"],
    )


class FamilyLinksHidden(logging.Filter):
    """uvicorn's access line names the path it served, and a family route's path holds the
    family's link (a key to a child's plan for 90 days): the path is written as
    ``<prefix>/…`` instead. On the ``uvicorn.access`` logger itself, so every handler (ours, a
    test runner's) gets the line without it. (The chart and ``make run`` turn access lines off;
    a deployment may not.)"""

    def __init__(self, family_prefix: str, *link_prefixes: str) -> None:
        super().__init__("family-links-hidden")
        self.prefixes = [p.rstrip("/") for p in (family_prefix, *link_prefixes)]

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args  # uvicorn's: client, method, path and query, HTTP version, status
        if not (isinstance(args, tuple) and len(args) == 5):
            return True
        path = args[2]
        for prefix in self.prefixes:
            if isinstance(path, str) and path.startswith(f"{prefix}/"):
                record.args = (*args[:2], f"{prefix}/…", *args[3:])
                break
        return True


REPEATING = ("aiokafka", "shared.outbox", "shared.broker", "shared.metrics", "notifications.sender")
"""Loggers whose warnings repeat while Kafka or PostgreSQL is down."""


def configure_logging(
    service: str,
    level: str,
    *,
    log_format: LogFormat = "json",
    repeat_interval_s: float = 30.0,
    family_prefix: str = "/v1/family",
    link_prefixes: Sequence[str] = (),
) -> logging.Handler:
    """Send every logger of the process through one stderr handler: JSON (or ``text``, for a
    developer's terminal) with ``time``, ``level``, ``logger``, ``message``, ``service`` and,
    inside a span, ``trace_id``/``span_id``. Extra fields a library adds (FastStream's
    ``topic``, ``group_id``, ``message_id``) become fields of the object.

    Warnings and errors that repeat while a dependency is down are rate-limited
    (``RepeatedLines``): aiokafka's (a broker restart makes every connection log each reconnect
    attempt, thousands of lines that say one thing) and the platform's own background loops'
    (the outbox relay, the alert sender, the metrics loop retrying every second or so).

    A family link in uvicorn's access lines is hidden (``FamilyLinksHidden``, for paths under
    ``family_prefix``), and an adviser's (under each of ``link_prefixes``).

    Called by each service app the process builds; the handler of an earlier call is
    replaced, and handlers others installed (a test runner's) are left alone. Returns the
    handler.
    """
    handler = _StandardError()
    handler.set_name("send-platform")
    handler.setFormatter(_formatter(service, log_format))
    handler.addFilter(TraceContext())
    handler.addFilter(RepeatedLines(REPEATING, interval_s=repeat_interval_s))
    handler.setLevel(level)
    root = logging.getLogger()
    for previous in [h for h in root.handlers if h.get_name() == handler.get_name()]:
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(level)
    access = logging.getLogger("uvicorn.access")
    for hiding in [f for f in access.filters if isinstance(f, FamilyLinksHidden)]:
        access.removeFilter(hiding)
    access.addFilter(FamilyLinksHidden(family_prefix, *link_prefixes))
    for name in _LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        if library.handlers:
            for own in list(library.handlers):
                library.removeHandler(own)
            library.propagate = True
        # A library logger left without handlers and not propagating was silenced on
        # purpose (uvicorn's --no-access-log does that to uvicorn.access): it stays silent.
    return handler
