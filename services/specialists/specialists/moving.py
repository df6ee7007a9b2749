"""Putting the waitlist's events in the outbox, each under its own council's envelope."""

from __future__ import annotations

from collections.abc import Sequence

from shared.db import Connection
from shared.events import DomainEvent
from shared.outbox import Outbox


def council_of(event: DomainEvent) -> str:
    council: str = getattr(event, "local_authority")  # noqa: B009  # every specialists event has it
    return council


async def publish_by_council(
    conn: Connection, outbox: Outbox, events: Sequence[DomainEvent]
) -> None:
    for event in events:
        await outbox.add(conn, [event], local_authority=council_of(event))
