"""The handler FastStream runs for a batch of one topic's events: each event in turn, in the
transaction the consumption middleware opened, acting for its council, continuing its trace,
and its caused events into the outbox.

(No ``from __future__ import annotations`` here: ``consume``'s annotation must be the concrete
``list[Envelope[<event class>]]`` when the function is made, for FastStream's validation and
the AsyncAPI document.)
"""

from collections.abc import Awaitable, Callable
from typing import Any

from opentelemetry import trace

from shared.councils import act_for
from shared.events import DomainEvent, Envelope, message_class
from shared.outbox import Outbox
from shared.subscriptions import Conn, Handler
from shared.telemetry import continued_trace, tag_current_span

_tracer = trace.get_tracer(__name__)


def batch_consumer(
    event_class: type[DomainEvent], handler: Handler, outbox: Outbox
) -> Callable[..., Awaitable[None]]:
    """The FastStream handler of a batch subscriber for ``event_class``, running ``handler``
    once per event."""
    topic = event_class.topic()
    message = message_class(event_class)

    async def consume(messages: list[message], conn: Conn) -> None:  # type: ignore[valid-type]  # one per event class
        council = None
        each: Envelope[Any]
        for each in messages:
            if each.localauthority != council:  # a batch is mostly one council's: set it once
                council = each.localauthority
                await act_for(conn, [council])  # row-level security: the event's council
            await handle(each, conn)

    async def handle(message: Envelope[Any], conn: Conn) -> None:
        # Each event continues the trace of the work that caused it, whatever else came in
        # its batch: one trace follows one referral's journey.
        context = {"traceparent": message.traceparent or "", "tracestate": message.tracestate or ""}
        with continued_trace(context), _tracer.start_as_current_span(f"{topic} handle"):
            tag_current_span(
                referral_id=message.subject, event_id=str(message.id), event_type=message.type
            )
            caused = await handler(message, conn)
            await outbox.add(conn, caused or (), local_authority=message.localauthority)

    consume.__name__ = handler.__name__  # names the operation in the AsyncAPI document
    consume.__qualname__ = handler.__qualname__
    consume.__doc__ = handler.__doc__
    return consume
