"""What a service declares about the events it handles, and how a message is read.

A service declares its handlers at import time::

    subscriptions = Subscriptions()

    @subscriptions.on(ReferralReceived)
    async def draft_plan(message: Envelope[ReferralReceived], uow: Uow) -> Events:
        ...
        return [PlanDrafted(...)]

The subscriber's decoder reads each message once (``parse``) into ``Envelope[ReferralReceived]``
(the AsyncAPI document shows it), and the handler gets it with its unit of work
(``shared.unit_of_work``: ``uow.conn`` is the transaction that records the event); the events
it returns are written with their audit rows. ``shared.consumption`` runs around it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, cast

from faststream import Context
from faststream.message import StreamMessage
from pydantic import ValidationError
from pydantic_core import from_json

from shared.db import Connection
from shared.events import DomainEvent, E, Envelope, RawEnvelope, message_class
from shared.failures import InvalidEvent, reason
from shared.unit_of_work import UnitOfWork

Conn = Annotated[Connection, Context("conn")]
"""The batch's database connection, inside the transaction that records its events (the
runtime's: ``shared.batches`` gives each handler a unit of work on it)."""

Uow = UnitOfWork
"""What a handler gets beside its event: the unit of work (``uow.conn``, in the transaction
that records the event); the events it returns are added to it."""

Events = Sequence[DomainEvent]
"""What a handler returns: the events its effect caused (the runtime stores them)."""

Handler = Callable[..., Awaitable[Events]]

BeforeBatch = Callable[[Connection, Sequence[Envelope[Any]], object], Awaitable[None]]
"""What a service does once for a consumed batch before its handler runs for each event: given
the batch's connection (in its transaction, holding its referrals' locks), its events in order,
and the service's own state (``UnitOfWork.service``). For work a batch can do in a few
statements that its events would each do in several (the referrals service's intake)."""


@dataclass(frozen=True)
class Subscription:
    event_class: type[DomainEvent]
    handler: Handler
    acting_as: str | None = None
    """Whose work the handler does, if not its service's: its unit of work acts (and is
    audited) as ``system:<acting_as>`` (plans erasing its copies for ``retention``)."""
    before_batch: BeforeBatch | None = None
    """Run once a consumed batch, before its events' handlers (``BeforeBatch``)."""


class Subscriptions:
    """A service's event handlers, declared at import, subscribed when the service is built."""

    def __init__(self) -> None:
        self._items: list[Subscription] = []

    def on(
        self,
        event_class: type[DomainEvent],
        *,
        acting_as: str | None = None,
        before_batch: BeforeBatch | None = None,
    ) -> Callable[[Handler], Handler]:
        """Declare ``handler`` as this service's handler of ``event_class`` (doing
        ``acting_as``'s work, when given: see ``Subscription.acting_as``; ``before_batch``:
        ``Subscription.before_batch``)."""

        def declare(handler: Handler) -> Handler:
            self._items.append(Subscription(event_class, handler, acting_as, before_batch))
            return handler

        return declare

    def __iter__(self) -> Iterator[Subscription]:
        return iter(self._items)


def parse(body: bytes, event_class: type[E]) -> Envelope[E]:
    """The message as an ``event_class`` event in its envelope, or ``InvalidEvent`` saying
    which field and why (never the value: it may be personal data).

    A valid event is read once: its JSON parsed, then validated as ``Envelope[event_class]``
    (issue #25: reading it as a ``RawEnvelope`` first, then dumping that and validating it
    again, cost two validations and a dump an event). Anything else is judged step by step
    (``_judged``), which says what is wrong as it always did."""
    try:
        fields = from_json(body)
        data = fields["data"]
        if (
            fields["type"] != event_class.event_type()
            or not isinstance(fields["subject"], str)
            or fields["subject"] != str(data.get("referral_id"))
        ):
            return _judged(body, event_class)
        # The same validation as _judged's last step (of the same fields, from a dict).
        envelope: Envelope[E] = message_class(event_class).model_validate(fields)
    except (ValueError, TypeError, KeyError, AttributeError):  # ValidationError: a ValueError
        return _judged(body, event_class)
    return envelope


def _judged(body: bytes, event_class: type[E]) -> Envelope[E]:
    """``parse``, step by step, for a message that is not a valid event: first as any
    CloudEvent, then its type and subject, then its data; raises ``InvalidEvent`` at the
    first step it fails (a valid event gets through too, only slower)."""
    try:
        raw = RawEnvelope.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidEvent(f"not a CloudEvent: {reason(exc)}") from exc
    if raw.type != event_class.event_type():
        raise InvalidEvent(f"type: {raw.type!r} is not {event_class.event_type()!r}")
    if raw.subject != str(raw.data.get("referral_id")):
        raise InvalidEvent("subject: must equal data.referral_id")
    try:
        envelope: Envelope[E] = message_class(event_class).model_validate(raw.model_dump())
    except ValidationError as exc:
        raise InvalidEvent(f"not a valid {event_class.__name__}: {reason(exc)}") from exc
    return envelope


def batch_decoder_of(
    event_class: type[DomainEvent],
) -> Callable[[StreamMessage[Any]], Awaitable[list[Envelope[Any] | InvalidEvent]]]:
    """The decoder of a batch: each record read once (``parse``), in order; a record that is
    not a valid event stands in the list as its ``InvalidEvent``, for the middleware to
    dead-letter."""

    async def decode(msg: StreamMessage[Any]) -> list[Envelope[Any] | InvalidEvent]:
        decoded: list[Envelope[Any] | InvalidEvent] = []
        for body in cast("list[bytes]", msg.body):  # a batch's body: one value per record
            try:
                decoded.append(parse(body, event_class))
            except InvalidEvent as exc:
                decoded.append(exc)
        return decoded

    return decode
