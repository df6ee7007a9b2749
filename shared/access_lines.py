"""FastStream's access lines (``Received``, ``Processed``, a handler's exception) carry the
trace of the message they are about.

FastStream writes them from a middleware of its own that wraps every other: ``Received``
before the telemetry middleware opens the consume span, ``Processed`` after it has closed it,
so no span is current when either is written and ``shared.logs.TraceContext`` has nothing to
put on them. Yet they are the lines an operator reads first when a topic stalls. The message
itself knows its trace: the ``traceparent`` header the publisher's span wrote. So the broker
is given this adapter as its logger: it reads the message being handled from the broker's own
context (FastStream keeps it there from before ``Received`` until after ``Processed``) and
adds ``trace_id`` and ``span_id`` (the span that published the message, whose child is the
handling) to each line. The platform's consumers take batches: a batch's lines carry the
first message's ids, and ``trace_ids`` lists every trace in the batch when there are several.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

from faststream import ContextRepo
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_PROPAGATOR = TraceContextTextMapPropagator()


def _trace_of(headers: Mapping[str, Any]) -> tuple[str, str] | None:
    """(trace id, span id) of a message's ``traceparent`` header, lower-case hex, or None."""
    carrier = {k: v.decode() if isinstance(v, bytes) else str(v) for k, v in headers.items()}
    context = trace.get_current_span(_PROPAGATOR.extract(carrier)).get_span_context()
    if not context.is_valid:
        return None
    return trace.format_trace_id(context.trace_id), trace.format_span_id(context.span_id)


def message_traces(message: Any) -> list[tuple[str, str]]:
    """The traces of a FastStream message: one, or each of a batch's (in order, once each)."""
    batch: Sequence[Mapping[str, Any]] = getattr(message, "batch_headers", None) or []
    headers = batch or [getattr(message, "headers", None) or {}]
    found: list[tuple[str, str]] = []
    for each in headers:
        ids = _trace_of(each)
        if ids is not None and ids[0] not in {t for t, _ in found}:
            found.append(ids)
    return found


class MessageTraceLines(logging.LoggerAdapter[logging.Logger]):
    """The broker's logger: each line written while a message is handled carries its trace
    (``bind`` gives it the broker's context once the broker exists)."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__(logger, {})
        self.context: ContextRepo | None = None

    def bind(self, context: ContextRepo) -> None:
        self.context = context

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        # LoggerAdapter's own process() would replace FastStream's extra (topic, group_id,
        # message_id): merged instead.
        extra = dict(kwargs.get("extra") or {})
        message = self.context.get_local("message") if self.context is not None else None
        traces = message_traces(message) if message is not None else []
        if traces and not trace.get_current_span().get_span_context().is_valid:
            extra["trace_id"], extra["span_id"] = traces[0]
            if len(traces) > 1:
                extra["trace_ids"] = [t for t, _ in traces]
        kwargs["extra"] = extra
        return msg, kwargs
