"""The rows of a consumed batch's referrals, locked once for the batch, and their statuses.

A step on the timeline locks its referral's row first, in a statement of its own
(``repository.add_step``): about ten steps a referral's journey, each in a batch of its topic's
events (``shared.consumption``), which holds every referral's advisory lock already
(``shared.referral_locks``). So the batch's first step locks the rows of all the batch's
referrals, in the order of their ids, in one statement, and reads their statuses; a later step
of one of them needs no lock of its own, and compares the status it leaves with the one
remembered here (kept up to date as the batch's own steps write it: ``status_written``).

Sound because the rows stay locked until the batch's transaction ends, and the batch's
remembered statuses live no longer than that (``HeldReferrals.remembered``): no one else can
change a status meanwhile, and the next statement (the step's insert) is still one that starts
after the lock was taken, so it sees every step committed before (READ COMMITTED).

Caseworker routes and the schedulers lock one referral's row (``FOR UPDATE``, or ``SKIP
LOCKED`` for several), never a batch's advisory locks: a route waits for the batch's commit,
or the batch for the route's, as each did for the other's row before, and the batch's rows,
taken in one order, add no cycle. Outside a batch (routes, schedulers), and for a referral the
batch did not hold (taken in by the batch itself, another council's under row-level security,
not the subject of its event), a step locks its row as it always did.

Row-level security: the batch's rows are locked as its first step's council sees them, and a
remembered status is used only by a step acting for that referral's council (its event's):
any other sees the row, or not, as its own lock would have.
"""

from __future__ import annotations

from typing import NamedTuple, cast
from uuid import UUID

from shared.db import Connection
from shared.referral_locks import HeldReferrals, held_on

LOCK_ROW = "SELECT local_authority, status FROM referrals WHERE id = $1 FOR UPDATE"
"""One referral's row, and its status as last committed (a locked row is read as it stands)."""

LOCK_ROWS = """SELECT r.id, r.local_authority, r.status
               FROM unnest($1::uuid[]) AS wanted (id)
               CROSS JOIN LATERAL (SELECT id, local_authority, status FROM referrals
                                   WHERE id = wanted.id LIMIT 1 FOR UPDATE) AS r"""
"""The batch's referrals' rows, locked in the order of the ids given (``$1``, sorted: a locking
clause locks each row as it is returned), and their statuses. Each id is looked up in the
primary key: the subquery with a ``LIMIT`` cannot be flattened into a join, so the ids come
first, one at a time. As ``WHERE id = ANY($1) ORDER BY id``, the plan made on a new database's
empty-table statistics read every referral for each batch (issue #25)."""

_STATUSES = "referrals.statuses"  # the key of this service's memory in HeldReferrals

FEW_TO_PUT_OFF = 3
"""The fewest referrals a consumed batch must hold for its timeline's and caseload's writes to
be put off to its end (``batch_timeline``, ``specialist_work``): those cost a statement or two
a batch more (its journeys read, acting for its councils), which a batch of one or two, the
most of a quiet hour's, would pay for nothing (a step is one or two statements on its own)."""


def worth_putting_off(held: HeldReferrals) -> bool:
    """Whether the batch holds enough referrals for its writes to wait for its end."""
    return len(held.ids) >= FEW_TO_PUT_OFF


class _Locked(NamedTuple):
    local_authority: str
    status: str


async def locked_status(
    conn: Connection, referral_id: UUID, local_authority: str | None = None
) -> str | None:
    """Lock the referral's row until the transaction ends; its status (None: not known here,
    or not to this session). No statement when the consumed batch on ``conn`` locked it
    already and the step acts for its council (``local_authority``, the event's: None, as a
    route's or a scheduler's step, always locks)."""
    held = held_on(conn)
    if held is None or local_authority is None:
        return await _lock_row(conn, referral_id, None)
    statuses = await _batch_statuses(conn, held)
    locked = statuses.get(referral_id)
    if locked is None or locked.local_authority != local_authority:
        return await _lock_row(conn, referral_id, statuses)
    return locked.status


async def held_status(conn: Connection, referral_id: UUID, local_authority: str) -> str | None:
    """The status the consumed batch on ``conn`` remembers of the referral, its row locked by
    the batch for ``local_authority`` (the step's council); None when the batch does not hold
    it so (no lock taken: the step locks it itself, ``locked_status``)."""
    held = held_on(conn)
    if held is None:
        return None
    locked = (await _batch_statuses(conn, held)).get(referral_id)
    return None if locked is None or locked.local_authority != local_authority else locked.status


def held_for(conn: Connection, local_authority: str) -> list[UUID]:
    """The referrals whose rows the batch on ``conn`` holds for ``local_authority``."""
    held = held_on(conn)
    statuses = None if held is None else held.remembered.get(_STATUSES)
    if statuses is None:
        return []
    locked = cast("dict[UUID, _Locked]", statuses)
    return [id_ for id_, row in locked.items() if row.local_authority == local_authority]


def status_written(conn: Connection, referral_id: UUID, status: str) -> None:
    """A step wrote the referral's status: the batch on ``conn`` remembers it (if it holds the
    row; no-op outside a batch)."""
    held = held_on(conn)
    statuses = None if held is None else held.remembered.get(_STATUSES)
    if statuses is not None:
        remembered = cast("dict[UUID, _Locked]", statuses)
        if referral_id in remembered:
            remembered[referral_id] = remembered[referral_id]._replace(status=status)


async def _lock_row(
    conn: Connection, referral_id: UUID, statuses: dict[UUID, _Locked] | None
) -> str | None:
    row = await conn.fetchrow(LOCK_ROW, referral_id)
    if row is None:
        return None
    if statuses is not None:  # held now too, until the batch's transaction ends
        statuses[referral_id] = _Locked(row["local_authority"], row["status"])
    return str(row["status"])


async def _batch_statuses(conn: Connection, held: HeldReferrals) -> dict[UUID, _Locked]:
    """The batch's referrals' statuses, their rows locked by the batch's first step."""
    remembered = held.remembered.get(_STATUSES)
    if remembered is not None:
        return cast("dict[UUID, _Locked]", remembered)
    rows = await conn.fetch(LOCK_ROWS, sorted(referral_ids(held.ids)))
    statuses = {row["id"]: _Locked(row["local_authority"], row["status"]) for row in rows}
    held.remembered[_STATUSES] = statuses
    return statuses


def referral_ids(subjects: frozenset[str]) -> set[UUID]:
    """The events' subjects that are referrals' ids (a public request's confirmation is about
    a request, not yet a referral: its subject may be anything)."""
    ids = set()
    for subject in subjects:
        try:
            ids.add(UUID(subject))
        except ValueError:
            continue
    return ids
