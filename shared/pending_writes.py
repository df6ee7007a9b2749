"""The outbox and audit rows of one or more units of work, written together: one statement
for the outbox rows and the audit rows of the first actor, one for those of each other.

A consumed batch runs one unit of work per event in one transaction (``shared.batches``). Each
used to write its own events and audit rows as it ended: two statements an event, about a third
of the statements a consumed event cost. Now each unit of work hands its rows to the batch's
``PendingWrites`` and the batch writes them all at its end, still in its transaction, in the
order they were added (the outbox's ids, hence the relay's publishing order, follow it). A
unit of work on its own (an HTTP step, a job) is a batch of one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from shared.db import Connection
from shared.events import DomainEvent, Envelope

ActorKey = tuple[str, tuple[str, ...], str | None, str | None]
"""Who the audit rows are of: subject, roles (sorted), request id, client request id."""

AuditRow = tuple[str, str, str, UUID | None]
"""One audit row's own part: council, action, resource, referral id."""

INSERT_AUDITS = """INSERT INTO audit_log (actor, roles, request_id, client_request_id,
                       local_authority, action, resource, referral_id)
                   SELECT $1, $2, $3, $4, local_authority, action, resource, referral_id
                   FROM unnest($5::text[], $6::text[], $7::text[], $8::uuid[])
                       AS a(local_authority, action, resource, referral_id)"""
"""The actor's columns once (the same for every row of a unit of work, and of a batch: its
handlers act as one), the rows' own as arrays: a ``text[]`` column (the roles) cannot be one
of ``unnest``'s arrays."""

INSERT_OUTBOX = """INSERT INTO outbox (event_id, topic, key, envelope, headers)
                   SELECT event_id, topic, key, envelope::jsonb, headers::jsonb
                   FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[])
                       WITH ORDINALITY AS e(event_id, topic, key, envelope, headers, n)
                   ORDER BY n"""
"""The events' outbox rows, in their order (``WITH ORDINALITY``: the ids, which the relay
publishes in, are given in that order)."""

INSERT_OUTBOX_AND_AUDITS = f"""WITH outbox_rows AS ({INSERT_OUTBOX})
    INSERT INTO audit_log (actor, roles, request_id, client_request_id, local_authority, action,
                           resource, referral_id)
    SELECT $6, $7, $8, $9, local_authority, action, resource, referral_id
    FROM unnest($10::text[], $11::text[], $12::text[], $13::uuid[])
        AS a(local_authority, action, resource, referral_id)"""
"""The outbox rows and one actor's audit rows in one statement (one round trip: a unit of work
on its own, an HTTP step's, has both and one actor; so has most consumed batch)."""


@dataclass
class PendingWrites:
    """Rows waiting for the end of their transaction's work (see the module docstring)."""

    events: list[tuple[Envelope[DomainEvent], str]] = field(default_factory=list)
    """Each event's envelope and the trace context it continues (JSON), in order."""
    audits: dict[ActorKey, list[AuditRow]] = field(default_factory=dict)

    def add_events(self, envelopes: Iterable[Envelope[DomainEvent]], trace_json: str) -> None:
        self.events.extend((envelope, trace_json) for envelope in envelopes)

    def add_audits(self, actor: ActorKey, rows: Iterable[AuditRow]) -> None:
        self.audits.setdefault(actor, []).extend(rows)

    def audited(self, subject: str, action: str, referral_id: UUID) -> bool:
        """Whether ``subject`` audited ``action`` on ``referral_id`` among the rows waiting
        (``shared.audit.audited`` looks here as well as in the table)."""
        return any(
            row[1] == action and row[3] == referral_id
            for actor, rows in self.audits.items()
            if actor[0] == subject
            for row in rows
        )

    def councils(self) -> set[str]:
        """The councils the audit rows are of: the transaction must act for each (row-level
        security checks every row written)."""
        return {row[0] for rows in self.audits.values() for row in rows}

    async def write(self, conn: Connection) -> None:
        """Write every row waiting, in the current transaction, and forget them: the outbox
        rows with the first actor's audit rows in one statement when there are both."""
        audits = [
            (subject, list(roles), request_id, client_request_id,
             *(list(column) for column in zip(*rows, strict=True)))
            for (subject, roles, request_id, client_request_id), rows in self.audits.items()
        ]  # fmt: skip
        if self.events and audits:
            await conn.execute(INSERT_OUTBOX_AND_AUDITS, *_outbox_columns(self.events), *audits[0])
            audits = audits[1:]
        elif self.events:
            await write_outbox(conn, self.events)
        for columns in audits:
            await conn.execute(INSERT_AUDITS, *columns)
        self.events, self.audits = [], {}


async def write_outbox(conn: Connection, events: Sequence[tuple[Envelope[Any], str]]) -> None:
    """The events' outbox rows, in one statement, in their order (``INSERT_OUTBOX``)."""
    await conn.execute(INSERT_OUTBOX, *_outbox_columns(events))


def _outbox_columns(events: Sequence[tuple[Envelope[Any], str]]) -> list[list[Any]]:
    return [
        [e.id for e, _ in events],
        [e.data.destination() for e, _ in events],
        [e.data.key() for e, _ in events],
        [e.model_dump_json() for e, _ in events],
        [trace for _, trace in events],
    ]
