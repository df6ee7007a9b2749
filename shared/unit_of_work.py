"""One way to change state: the unit of work.

Every state change of a service, whatever starts it (an HTTP step, a consumed event, a
scheduled job, a partner's message), runs in one::

    async with work.begin(actor, councils=[referral.local_authority]) as uow:
        events, answer = decide(state, command)      # the domain: pure, returns its events
        uow.add(*events)

``begin`` opens the transaction on a pooled connection and acts for the councils (row-level
security); the body reads and writes state through ``uow.conn`` and hands the events the domain
returned to ``uow.add``; on leaving without an error, the unit of work writes those events to
the outbox and the audit rows they stand for (``shared.audits.AUDITED``: which event audits as
what), then commits. Reads are audited with ``uow.read(...)``; a change that causes no event
(a family's preferences, say) with ``uow.changed(...)``. Nothing else writes the outbox or the
audit trail, and nothing in a unit of work calls the outside world (a message, a partner): that
waits for the commit, through the outbox.

Two more doors, each claimed first thing in the transaction:

- ``idempotency_key=`` (HTTP ``Idempotency-Key``): a retry gets the first answer
  (``uow.replayed``) and changes nothing; the same key with another request is ``KeyReused``.
  The route stores its answer with ``uow.answer(status, body)``.
- a consumed event's inbox row is claimed by ``shared.consumption`` for a whole batch, which
  then runs one unit of work per event on the batch's transaction (``Work.within``).

(Longer than most modules: the transaction, the idempotency claim and the writes on commit are
one mechanism every state change goes through, read together.)
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import itertools
import json
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

import asyncpg

from shared.audits import AUDITED
from shared.councils import ALL, act_for
from shared.db import Connection
from shared.events import DomainEvent
from shared.outbox import Outbox
from shared.pending_writes import PendingWrites

Isolation = Literal["read_committed", "repeatable_read", "serializable"]
Councils = tuple[str, ...] | str
"""Councils as a session acts for them: their codes in order, or ``ALL``."""
Trace = dict[str, str]
"""A W3C trace context as stored with an event (``traceparent``, ``tracestate``)."""


_SESSION_ACTS_FOR: contextvars.ContextVar[tuple[Connection, Councils] | None] = (
    contextvars.ContextVar("session_acts_for", default=None)
)


def session_acts_for(conn: Connection, councils: Iterable[str] | str) -> None:
    """Note that ``conn``'s session acts for ``councils`` (``shared.councils.act_for`` with
    ``local=False``, outside any transaction: a request's connection, ``shared.http``), so that
    a unit of work on it for exactly those councils need not set them again for its
    transaction: one round trip fewer for each (issue #25). Noted for this request's task
    alone (a context variable) and for this very connection object: a pool hands out a new
    proxy each time, so nothing noted outlives the request's hold on the connection."""
    _SESSION_ACTS_FOR.set((conn, _councils(councils)))


def _councils(councils: Iterable[str] | str) -> Councils:
    return councils if isinstance(councils, str) else tuple(councils)


def _session_acts_for(conn: Connection, councils: Iterable[str] | str) -> bool:
    """Whether ``conn``, in no transaction yet, acts for exactly ``councils`` already (what
    ``session_acts_for`` noted), so the transaction about to begin acts for them too. Within
    a transaction (a unit of work nested in another), the outer one may have set its own."""
    noted = _SESSION_ACTS_FOR.get()
    return (
        noted is not None
        and noted[0] is conn
        and noted[1] == _councils(councils)
        and not conn.is_in_transaction()
    )


@dataclass(frozen=True)
class Actor:
    """Who a unit of work acts as, for the audit trail: a person or partner (their subject
    and roles, the request's ids), or the service itself (``system:<name>``)."""

    subject: str
    roles: tuple[str, ...] = ()
    request_id: str | None = None
    client_request_id: str | None = None

    @classmethod
    def system(cls, name: str) -> Actor:
        """The service's own work (a handler, a scheduled job): ``system:<name>``."""
        return cls(f"system:{name}")


class KeyReused(Exception):
    """An ``Idempotency-Key`` used before with another request (or by a request still being
    answered and then rolled back)."""


@dataclass(frozen=True)
class FirstAnswer:
    """What a request with this ``Idempotency-Key`` was answered the first time."""

    status_code: int
    body: Any


def fingerprint(body: Any) -> str:
    """A request as compared between retries (its validated, normalised JSON)."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class _Audit:
    action: str
    resource: str
    referral_id: UUID | None
    local_authority: str


@dataclass
class UnitOfWork:
    """One state change in progress: its connection (in the transaction), who acts, and what
    it will write on commit."""

    conn: Connection
    actor: Actor
    service: object = None
    """The service's own state (``shared.state``: its ``ServiceState.own``): what a handler
    needs of the settings its service was made with (each service's ``state`` module reads
    it typed, e.g. ``referrals_of(uow.service)``)."""
    replayed: FirstAnswer | None = None
    pending: PendingWrites | None = None
    """The batch's rows not written yet, when it is one of a consumed batch's (``within``)."""
    _events: list[tuple[DomainEvent, str, Trace | None]] = field(default_factory=list)
    _audits: list[_Audit] = field(default_factory=list)
    _answer: tuple[int, Any] | None = None
    _key: str | None = None

    def add(
        self, *events: DomainEvent, local_authority: str | None = None, trace: Trace | None = None
    ) -> None:
        """Events the domain returned: to the outbox on commit, in order, each with the audit
        row it stands for. Their council is their own ``local_authority`` field unless given;
        the trace they continue is the current span's at commit unless ``trace`` is given (one
        unit of work recording several messages, each continuing its own event's trace)."""
        for event in events:
            council = local_authority or str(getattr(event, "local_authority", ""))
            if not council and local_authority is None:  # "": an answer naming no council
                raise ValueError(f"{type(event).__name__} names no council: give local_authority")
            self._events.append((event, council, trace))
            audited = AUDITED.get(type(event))
            if audited is not None:
                self._audits.append(_Audit(*audited, event.referral_id, council))

    def read(self, resource: str, *, referral_id: UUID | None, local_authority: str) -> None:
        """Audit a read of a child's record (or of a report about children)."""
        self._audits.append(_Audit("read", resource, referral_id, local_authority))

    def changed(
        self, action: str, resource: str, *, referral_id: UUID | None, local_authority: str
    ) -> None:
        """Audit a change that causes no event (the events' own rows come with ``add``)."""
        self._audits.append(_Audit(action, resource, referral_id, local_authority))

    def read_each(
        self, resource: str, referrals: Iterable[tuple[UUID | None, str]], *, action: str = "read"
    ) -> None:
        """Audit a read of each of ``referrals`` (id, council): a page of a list, a row each,
        written with the unit of work's other rows in one statement. ``action``: how they were
        read (``search``), when not simply read."""
        self._audits.extend(_Audit(action, resource, id_, council) for id_, council in referrals)

    def answer(self, status_code: int, body: Any) -> None:
        """The answer a retry with this request's ``Idempotency-Key`` gets."""
        self._answer = (status_code, body)

    @property
    def events(self) -> list[DomainEvent]:
        return [event for event, _, _ in self._events]


@dataclass(frozen=True)
class Work:
    """A service's units of work: its pool and outbox. Built once by the service's lifecycle
    (``shared.lifecycle``), reached by routes (``shared.http.ServiceWork``), handlers and jobs."""

    pool: Callable[[], asyncpg.Pool]
    outbox: Outbox
    service: object = None
    """The service's own state, given to each unit of work (``UnitOfWork.service``)."""

    @contextlib.asynccontextmanager
    async def begin(
        self,
        actor: Actor,
        *,
        councils: Iterable[str] | str,
        idempotency_key: str | None = None,
        request: Any = None,
        isolation: Isolation = "read_committed",
        conn: Connection | None = None,
    ) -> AsyncIterator[UnitOfWork]:
        """A unit of work acting for ``councils`` (``ALL``: the service's own background
        work), on ``conn`` (a request's) or a connection of the pool."""
        acting = councils if councils == ALL else list(councils)
        async with contextlib.AsyncExitStack() as stack:
            if conn is None:
                conn = await stack.enter_async_context(self.pool().acquire())
            set_already = _session_acts_for(conn, acting)
            async with conn.transaction(isolation=isolation):
                if not set_already:
                    await act_for(conn, acting)
                uow = UnitOfWork(conn, actor, self.service)
                if idempotency_key is not None:
                    uow._key = idempotency_key
                    uow.replayed = await _claim(
                        conn, actor.subject, idempotency_key, councils, fingerprint(request)
                    )
                yield uow
                if uow.replayed is None:
                    await self._write(uow)

    @contextlib.asynccontextmanager
    async def within(
        self, conn: Connection, actor: Actor, pending: PendingWrites | None = None
    ) -> AsyncIterator[UnitOfWork]:
        """A unit of work inside a transaction already open (a consumed batch's: its inbox
        rows are claimed and its council set by ``shared.consumption``). With ``pending``, its
        outbox and audit rows wait there, for the batch to write them with the others' before
        it commits (``PendingWrites.write``); without, they are written as it ends."""
        if not conn.is_in_transaction():
            raise RuntimeError("Work.within needs the transaction of the state change")
        uow = UnitOfWork(conn, actor, self.service, pending=pending)
        yield uow
        if pending is None:
            await self._write(uow)
        else:
            self._gather(uow, pending)

    def _gather(self, uow: UnitOfWork, pending: PendingWrites) -> None:
        """The unit of work's events (each run of one council and trace continuing that
        trace, the current span's when none was given) and audit rows, in order, to
        ``pending``."""
        for (council, trace), run in itertools.groupby(uow._events, key=lambda e: e[1:]):
            envelopes, trace_json = self.outbox.envelopes(
                (event for event, _, _ in run), local_authority=council, trace=trace
            )
            pending.add_events(envelopes, trace_json)
        if uow._audits:
            actor = uow.actor
            pending.add_audits(
                (actor.subject, tuple(sorted(actor.roles)), actor.request_id,
                 actor.client_request_id),
                [(a.local_authority, a.action, a.resource, a.referral_id) for a in uow._audits],
            )  # fmt: skip

    async def _write(self, uow: UnitOfWork) -> None:
        """The events to the outbox (grouped by council and trace, order kept), the audit
        rows, and the answer for retries: all in the unit of work's transaction."""
        pending = PendingWrites()
        self._gather(uow, pending)
        await pending.write(uow.conn)
        if uow._key is not None and uow._answer is not None:
            await uow.conn.execute(
                """UPDATE idempotency_keys SET status_code = $3, response = $4::jsonb
                   WHERE caller = $1 AND key = $2""",
                uow.actor.subject,
                uow._key,
                uow._answer[0],
                json.dumps(uow._answer[1], default=str),
            )


async def _claim(
    conn: Connection, caller: str, key: str, councils: Iterable[str] | str, request_hash: str
) -> FirstAnswer | None:
    """Claim ``key`` for this request (None: go ahead), or the answer it first had.

    A second request with the same key, arriving while the first is still working, waits on
    the row's unique index until the first commits (then reads its answer) or rolls back
    (then does the work itself): concurrent retries never change anything twice."""
    council = councils if isinstance(councils, str) else next(iter(councils), ALL)
    claimed = await conn.fetchval(
        """INSERT INTO idempotency_keys (caller, key, local_authority, request_hash)
           VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true""",
        caller,
        key,
        council,
        request_hash,
    )
    if claimed:
        return None
    first = await conn.fetchrow(
        """SELECT request_hash, status_code, response FROM idempotency_keys
           WHERE caller = $1 AND key = $2""",
        caller,
        key,
    )
    if first is None or first["request_hash"] != request_hash or first["status_code"] is None:
        raise KeyReused("Idempotency-Key: already used with a different request")
    return FirstAnswer(first["status_code"], json.loads(first["response"]))
