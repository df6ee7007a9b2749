"""Publishing: one declared FastStream publisher per event a service publishes.

The declaration documents the topic and its message in the AsyncAPI document, and is the only
way the outbox relay can reach Kafka: an event a service does not declare has no publisher. An
event addressed to one NHS partner (``PartnerEvent``) is declared once, on its topics' pattern
(``nhs.referrals.outcome.{partner}.v1``), and each row goes to its partner's own topic.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Iterable

from faststream.kafka import KafkaRouter

from shared.events import (
    CLOUDEVENTS_CONTENT_TYPE,
    PARTNER_ID,
    PARTNER_PLACEHOLDER,
    DomainEvent,
    PartnerEvent,
    message_class,
)
from shared.outbox import OutboxMessage, UndeclaredEvent
from shared.telemetry import continued_trace


class Publishers:
    """The publishers of the events ``service`` declares, on ``router``."""

    def __init__(
        self,
        router: KafkaRouter,
        declared: Iterable[type[DomainEvent]],
        *,
        service: str,
        connected: asyncio.Event,
    ) -> None:
        self._connected = connected
        self._by_topic = {
            event.topic(): router.publisher(
                event.topic(),
                title=f"{event.topic()}:{service}",
                description=f"{service} publishes {event.__name__}"
                + (f": {event.__doc__.strip()}" if event.__doc__ else ""),
                schema=message_class(event),
            )
            for event in declared
        }
        self._partner_topics = [
            (re.compile(re.escape(event.topic()).replace(_PLACEHOLDER, PARTNER_ID)), event)
            for event in declared
            if issubclass(event, PartnerEvent)
        ]

    async def publish(self, message: OutboxMessage) -> Awaitable[object]:
        """Hand one outbox row to the producer for its topic, continuing the trace of whoever
        wrote it; returns the broker's acknowledgement to await (``shared.outbox``)."""
        topic, publisher = "", self._by_topic.get(message.topic)
        for pattern, event in self._partner_topics:
            if publisher is None and pattern.fullmatch(message.topic):
                publisher = self._by_topic[event.topic()]
                # The declared publisher's topic, its namespace kept, the partner's in place.
                namespace = publisher.topic.removesuffix(event.topic())
                topic = f"{namespace}{message.topic}"
        if publisher is None:
            raise UndeclaredEvent(f"no publisher declared for topic {message.topic}")
        if not self._connected.is_set():
            raise ConnectionError("not connected to Kafka yet")
        with continued_trace(message.headers):
            ack: Awaitable[object] = await publisher.publish(
                message.envelope,
                topic,  # empty: the publisher's own
                key=message.key.encode(),
                headers={"content-type": f"{CLOUDEVENTS_CONTENT_TYPE}; charset=UTF-8"},
                no_confirm=True,
            )
        return ack


_PLACEHOLDER = re.escape(PARTNER_PLACEHOLDER)
