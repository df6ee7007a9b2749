"""A unit of work without PostgreSQL, for unit tests of handlers and routes: the real
``UnitOfWork`` collecting what it would write on commit (the events added, and the audit rows
they, the reads and the event-less changes stand for), on a connection the test's fakes stand
in for (it is never used: a fake touching it fails)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast
from uuid import UUID

from shared.db import Connection
from shared.unit_of_work import Actor, UnitOfWork

AuditRow = tuple[str, str, str, UUID | None, str]
"""(actor, action, resource, referral id, council): an audit row as the unit of work writes it."""


@dataclass
class FakeUnitOfWork(UnitOfWork):
    @classmethod
    def of(cls, actor: Actor) -> FakeUnitOfWork:
        return cls(cast(Connection, None), actor)

    @property
    def audits(self) -> list[AuditRow]:
        return [
            (self.actor.subject, a.action, a.resource, a.referral_id, a.local_authority)
            for a in self._audits
        ]
