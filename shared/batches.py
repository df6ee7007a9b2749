"""The handler FastStream runs for a batch of one topic's events: each event in turn, in the
transaction the consumption middleware opened, acting for its council, continuing its trace,
as a unit of work of the service's own (``shared.unit_of_work``: the events the handler
returns go to the outbox with the audit rows they stand for, as ``system:<service>``, or as
the job the subscription says it acts for). Every event's outbox and audit rows are written
together at the batch's end, one statement each (``shared.pending_writes``). A subscription
may first do, once for the whole batch, what its events would each do in statements of their
own (``Subscription.before_batch``: the referrals service stores its intake's referrals so).

(No ``from __future__ import annotations`` here: ``consume``'s annotation must be the concrete
``list[Envelope[<event class>]]`` when the function is made, for FastStream's validation and
the AsyncAPI document.)
"""

from collections.abc import Awaitable, Callable
from typing import Any

from opentelemetry import trace

from shared.councils import act_for
from shared.events import Envelope, message_class
from shared.pending_writes import PendingWrites
from shared.subscriptions import Conn, Subscription
from shared.telemetry import continued_trace, span_ids
from shared.unit_of_work import Actor, Work

_tracer = trace.get_tracer(__name__)


def batch_consumer(
    subscription: Subscription, work: Work, service: str
) -> Callable[..., Awaitable[None]]:
    """The FastStream handler of a batch subscriber for the subscription's event class,
    running its handler once per event, each as a unit of work of ``service``'s own (or of
    the job the subscription acts for)."""
    event_class, handler = subscription.event_class, subscription.handler
    before_batch = subscription.before_batch
    topic = event_class.topic()
    message = message_class(event_class)
    actor = Actor.system(subscription.acting_as or service)
    span_name = f"{topic} handle"

    async def consume(messages: list[message], conn: Conn) -> None:  # type: ignore[valid-type]  # one per event class
        council = None
        pending = PendingWrites()  # every event's outbox and audit rows, written together
        if before_batch is not None:  # its own councils: the loop acts for each event's after
            await before_batch(conn, messages, work.service)
        each: Envelope[Any]
        for each in messages:
            if each.localauthority != council:  # a batch is mostly one council's: set it once
                council = each.localauthority
                await act_for(conn, [council])  # row-level security: the event's council
            await handle(each, conn, pending)
        councils = pending.councils()
        if councils - {council}:  # audit rows of councils besides the last event's
            await act_for(conn, sorted(councils))
        await pending.write(conn)

    async def handle(message: Envelope[Any], conn: Conn, pending: PendingWrites) -> None:
        # Each event continues the trace of the work that caused it, whatever else came in
        # its batch: one trace follows one referral's journey.
        context = {"traceparent": message.traceparent or "", "tracestate": message.tracestate or ""}
        ids = span_ids(
            referral_id=message.subject, event_id=str(message.id), event_type=message.type
        )
        with continued_trace(context), _tracer.start_as_current_span(span_name, attributes=ids):
            async with work.within(conn, actor, pending) as uow:
                caused = await handler(message, uow)
                uow.add(*(caused or ()), local_authority=message.localauthority)

    consume.__name__ = handler.__name__  # names the operation in the AsyncAPI document
    consume.__qualname__ = handler.__qualname__
    consume.__doc__ = handler.__doc__
    return consume
