"""Who a plans unit of work (``shared.unit_of_work``) acts as. A route reads a child's record or
changes it as its caller (a member of staff, or a family through their link), for the councils
they act for, on the request's connection: its reads are audited with ``uow.read``, its
changes' audit rows come with the events it adds. A scheduled job acts as the service itself
(``PLANS``); an event handler's unit of work is the runtime's (``shared.batches``)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from shared.auth import current_principal
from shared.db import Connection
from shared.http import DbConnection, ServiceWork, actor_of
from shared.unit_of_work import Actor, UnitOfWork, Work

PLANS = Actor.system("plans")
"""The service's own work: its scheduled jobs."""


@dataclass(frozen=True)
class CallerWork:
    """The request's units of work: who acts, for which councils, on which connection."""

    work: Work
    conn: Connection
    actor: Actor
    councils: tuple[str, ...]

    def begin(self) -> AbstractAsyncContextManager[UnitOfWork]:
        return self.work.begin(self.actor, councils=self.councils, conn=self.conn)


def caller_work(request: Request, work: ServiceWork, conn: DbConnection) -> CallerWork:
    """The caller's units of work (their route's ``allow(...)`` or family link ran first)."""
    return CallerWork(work, conn, actor_of(request), current_principal(request).councils)


AsCaller = Annotated[CallerWork, Depends(caller_work)]
