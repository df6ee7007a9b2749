"""One lock per referral per batch, taken in one order.

A consumer handles a batch of events in one transaction, and its handlers lock the referral
each event is about (plans and notifications with an advisory lock on the referral's id,
referrals by its row) as they come to it: in the batch's order. Two batches of two consumers
with referrals in common, in opposite orders, then each hold what the other waits for, and
PostgreSQL breaks the tie by aborting one ("deadlock detected": 185 in a day of test, bench and
chaos runs, issue #25), which costs a transaction and stalls a partition while it is retried.

So the batch takes every referral's lock first, in the order of their ids, in one statement.
A second batch with any referral in common waits at the first one they share, holding nothing
the first batch needs; the handlers' own locks are then taken again by the transaction that
holds them (an advisory lock is re-entrant), or behind this one (a referral's row).

Taking it again costs a statement, though: a handler's ``lock_referral`` skips the lock when
the batch's transaction holds it already (``referrals_locked``), and takes it otherwise (an
event whose referral is not its subject, a handler called outside a consumed batch). A service
may also keep what it learned of the batch's referrals while they are held (``held_on``: the
referrals service locks their rows once and remembers their statuses), and put writes off to
the batch's end (``HeldReferrals.at_end``: the referrals service's timeline steps, one
statement a batch).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar, cast

from shared.db import Connection

LOCK_REFERRALS = """SELECT pg_advisory_xact_lock(hashtextextended(referral_id, 0))
                    FROM unnest($1::text[]) AS referral_id"""
"""The same key as each service's own lock on one referral (``hashtextextended`` of its id as
text, seed 0). ``unnest`` returns the array's elements in its order, so they are locked in it."""

LOCK_REFERRAL = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"
"""One referral's lock (its id as text), the same key as ``LOCK_REFERRALS`` takes."""


@dataclass(frozen=True)
class HeldReferrals:
    """The referrals a consumed batch's transaction (on ``conn``) holds the locks of, and what
    the service's handlers remember of them meanwhile (``remembered``, by each service's own
    key): valid only while the locks are held, so it lives exactly as long as they do."""

    conn: Connection
    ids: frozenset[str]
    remembered: dict[str, object] = field(default_factory=dict)
    at_end: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """Writes the handlers put off to the end of the batch's work, run in order when it ends
    without an error, still in its transaction and holding its locks."""


T = TypeVar("T")


def kept_to_end(
    held: HeldReferrals,
    key: str,
    make: Callable[[], T],
    write: Callable[[Connection, T], Awaitable[None]],
) -> T:
    """What a module keeps of the batch under ``key`` (``HeldReferrals.remembered``), made by
    ``make`` at its first use, when ``write`` is put off to the batch's end
    (``HeldReferrals.at_end``) to write what it then holds."""
    remembered = held.remembered.get(key)
    if remembered is not None:
        return cast("T", remembered)
    kept = make()
    held.remembered[key] = kept
    conn = held.conn
    held.at_end.append(lambda: write(conn, kept))
    return kept


_held: ContextVar[HeldReferrals | None] = ContextVar("referrals_locked", default=None)
"""The connection whose transaction holds the batch's locks, and the referrals locked."""


async def lock_referrals(conn: Connection, referral_ids: Iterable[str]) -> None:
    """Lock each referral (an event's ``subject``) once, in the order of their ids, until the
    transaction ends."""
    await conn.execute(LOCK_REFERRALS, sorted(set(referral_ids)))


@contextlib.asynccontextmanager
async def referrals_locked(conn: Connection, referral_ids: Iterable[str]) -> AsyncIterator[None]:
    """Lock each referral (``lock_referrals``) and, within the block (which must end before
    the transaction does), let ``lock_referral`` know they are held; at its end (without an
    error), the writes put off to it (``HeldReferrals.at_end``)."""
    ids = frozenset(referral_ids)
    await lock_referrals(conn, ids)
    held = HeldReferrals(conn, ids)
    token = _held.set(held)
    try:
        yield
        for write in held.at_end:
            await write()
    finally:
        _held.reset(token)


async def lock_referral(conn: Connection, referral_id: str) -> None:
    """Lock one referral until the transaction ends: no statement when the consumed batch's
    transaction on ``conn`` holds its lock already (``referrals_locked``)."""
    held = held_on(conn)
    if held is not None and referral_id in held.ids:
        return
    await conn.execute(LOCK_REFERRAL, referral_id)


def held_on(conn: Connection) -> HeldReferrals | None:
    """The referrals the consumed batch's transaction on ``conn`` holds (``referrals_locked``);
    None outside a batch, or for another connection (a handler's own)."""
    held = _held.get()
    return held if held is not None and held.conn is conn else None
