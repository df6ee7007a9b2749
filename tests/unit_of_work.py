"""A unit of work without a database, for unit tests of handlers, routes and jobs: it keeps what
they add (events, audit rows, the answer) for the test to read, as ``shared.unit_of_work``
would write them on commit; a test whose code reaches for the database fails, saying so.

    uow = FakeUnitOfWork()
    await handle(escalated_to_ehc, message, uow)
    assert uow.events == [] and uow.audit_rows == []
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, cast
from uuid import UUID

from shared.db import Connection
from shared.events import DomainEvent, Envelope
from shared.unit_of_work import Actor, UnitOfWork


class NoDatabase:
    """Stands for the connection: any use of it fails the test (the code under test was
    expected to decide without reading or writing anything)."""

    def __getattr__(self, name: str) -> NoReturn:
        raise AssertionError(f"the database was used (conn.{name}) where no I/O was expected")


class FakeUnitOfWork(UnitOfWork):
    """``UnitOfWork`` on no database: nothing is written; ``events``, ``audit_rows`` and
    ``answered`` say what would have been."""

    def __init__(self, actor: Actor | None = None, service: object = None) -> None:
        """``service``: the service's own state (``uow.service``), for handlers reading it."""
        no_database = cast("Connection", NoDatabase())  # stands in for it; fails when used
        super().__init__(no_database, actor or Actor.system("plans"), service)

    @property
    def audit_rows(self) -> list[tuple[str, str, str, UUID | None, str]]:
        """(actor, action, resource, referral, council): the rows of the audit trail."""
        return [
            (self.actor.subject, a.action, a.resource, a.referral_id, a.local_authority)
            for a in self._audits
        ]

    @property
    def answered(self) -> tuple[int, Any] | None:
        return self._answer


Handler = Callable[[Envelope[Any], UnitOfWork], Awaitable[Any]]


async def handle(handler: Handler, message: Envelope[Any], uow: UnitOfWork) -> list[DomainEvent]:
    """``handler`` run on ``message`` as the runtime runs it (``shared.batches``): the events
    it returns are added to ``uow`` as of the message's council; returns them."""
    caused = list(await handler(message, uow) or ())
    uow.add(*caused, local_authority=message.localauthority)
    return caused
