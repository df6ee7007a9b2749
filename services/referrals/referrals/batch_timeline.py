"""A consumed batch's timeline steps, written together at its end.

Most of a referral's ~13 consumed events are a step on its timeline (``handlers._record``),
and each step was a statement of its own: the step inserted and the referral's journey steps
read back, to tell the status it leaves and the milestones NHS partners hear of. So while a
batch holds its referrals' rows (``referrals.batch_rows``), a step of one of them is not
written at once: the batch reads the journey of its referrals once, in one statement, keeps it
as its own steps add to it, and at its end writes every step in one statement and every
status that moved in another (``HeldReferrals.at_end``, still in the batch's transaction).

Sound for the reasons ``batch_rows`` gives: the rows stay locked until the transaction ends,
so no one else adds a step to these referrals meanwhile, and the journey is read in a
statement after the lock's. The batch's handlers read nothing of the timeline but through here;
any other step on a referral of the batch (a referral not held for the step's council, or the
statutory code's ``add_step``) writes what is waiting first and forgets the referral's journey,
so it reads and writes the table as it always did. The timeline is shown ordered by when a
step occurred and then when it was recorded (the transaction's start, the same for a whole
batch), never by insertion, so writing the steps later changes no page.

Row-level security: a journey is kept only for a step acting for its referral's remembered
council, and the rows are written acting for the councils of their steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import cast
from uuid import UUID

from referrals import batch_rows
from referrals.domain import Step, TimelineStep, status_after
from shared.councils import SETTING, act_for
from shared.db import Connection
from shared.referral_locks import HeldReferrals, held_on, kept_to_end

READ_JOURNEYS = """SELECT referral_id, event_id, step FROM timeline
                   WHERE referral_id = ANY($1::uuid[])"""
"""What the batch's referrals' timelines hold: each step's event (a redelivered event is not
a second step) and the step."""

INSERT_STEPS = """INSERT INTO timeline (referral_id, event_id, step, service, occurred_at, detail)
                  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[],
                                       $5::timestamptz[], $6::text[])
                  ON CONFLICT DO NOTHING"""

SET_STATUSES = """UPDATE referrals r SET status = s.status, updated_at = now()
                  FROM unnest($1::uuid[], $2::text[]) AS s(id, status) WHERE r.id = s.id"""

_KEY = "referrals.timeline"  # the key of this module's memory in HeldReferrals
_JOURNEY_STEPS = frozenset(s.value for s in Step)


@dataclass
class _Journey:
    events: set[UUID]
    """The events already on the referral's timeline (of any step)."""
    steps: list[Step]
    """Its journey steps (``Step``), as the table holds them (a step may be there twice)."""


@dataclass
class _Waiting:
    """The batch's memory: journeys, and the steps and statuses not written yet."""

    journeys: dict[UUID, _Journey] = field(default_factory=dict)
    steps: list[tuple[UUID, UUID, str, str, datetime, str | None]] = field(default_factory=list)
    statuses: dict[UUID, str] = field(default_factory=dict)
    councils: set[str] = field(default_factory=set)


async def add_step_and_status(
    conn: Connection,
    *,
    referral_id: UUID,
    event_id: UUID,
    step: TimelineStep,
    service: str,
    occurred_at: datetime,
    detail: str | None,
    local_authority: str,
) -> list[Step] | None:
    """``repository.add_step_and_status`` for a step of a consumed batch: the journey steps
    with ``step`` added, the step and the status it leaves written at the batch's end. None:
    the batch does not hold the referral for ``local_authority`` (the caller records the step
    itself, as outside a batch; or too few referrals: ``batch_rows.worth_putting_off``)."""
    held = held_on(conn)
    if held is None or not batch_rows.worth_putting_off(held):
        return None
    status = await batch_rows.held_status(conn, referral_id, local_authority)
    if status is None:
        return None
    waiting = _waiting(held)
    journey = waiting.journeys.get(referral_id)
    if journey is None:
        await _read_journeys(conn, waiting, referral_id, local_authority)
        journey = waiting.journeys[referral_id]
    if event_id not in journey.events:  # else the table keeps the step it has (no conflict)
        journey.events.add(event_id)
        if isinstance(step, Step):
            journey.steps.append(step)
        waiting.steps.append((referral_id, event_id, step.value, service, occurred_at, detail))
        waiting.councils.add(local_authority)
    steps = list(journey.steps)
    after = status_after(steps)
    if after.value != status:
        waiting.statuses[referral_id] = after.value
        waiting.councils.add(local_authority)
        batch_rows.status_written(conn, referral_id, after.value)
    return steps


async def add_new_referrals_step(
    conn: Connection,
    *,
    referral_id: UUID,
    event_id: UUID,
    step: TimelineStep,
    service: str,
    occurred_at: datetime,
    local_authority: str,
) -> bool:
    """A step of a referral the batch on ``conn`` has just stored (``taking_in``), put off to
    the batch's end (no lock, no journey to read); False: no batch holds the referral's id
    (or too few: ``batch_rows.worth_putting_off``)."""
    held = held_on(conn)
    if held is None or str(referral_id) not in held.ids or not batch_rows.worth_putting_off(held):
        return False
    waiting = _waiting(held)
    journey = waiting.journeys.get(referral_id)
    if journey is not None:  # never in practice: a new referral's later steps come later
        journey.events.add(event_id)
        if isinstance(step, Step):
            journey.steps.append(step)
    waiting.steps.append((referral_id, event_id, step.value, service, occurred_at, None))
    waiting.councils.add(local_authority)
    return True


async def write_waiting(conn: Connection, referral_id: UUID) -> None:
    """Before a step on ``referral_id`` recorded the old way on ``conn`` (it reads the table):
    the referral's steps and status waiting, written (with every other waiting, acting for
    their councils and then again for the session's own), and its journey forgotten (that
    step changes it). Never in practice: such a step is one the batch does not hold the
    referral for, so none of its own is waiting; kept so that it stays true."""
    held = held_on(conn)
    waiting = None if held is None else held.remembered.get(_KEY)
    if waiting is None:
        return
    waiting = cast("_Waiting", waiting)
    if referral_id in waiting.statuses or any(s[0] == referral_id for s in waiting.steps):
        acting: str = await conn.fetchval("SELECT current_setting($1, true)", SETTING)
        await _write(conn, waiting)
        await conn.execute("SELECT set_config($1, $2, true)", SETTING, acting)
    waiting.journeys.pop(referral_id, None)


def _waiting(held: HeldReferrals) -> _Waiting:
    """The batch's memory, made (and its writing put off to the batch's end) by its first
    step."""
    return kept_to_end(held, _KEY, _Waiting, _write)


async def _read_journeys(
    conn: Connection, waiting: _Waiting, referral_id: UUID, local_authority: str
) -> None:
    """The journeys of every referral the batch holds for ``local_authority`` and has not
    read yet (``referral_id`` among them), in one statement: a batch is mostly one council's,
    and its referrals' other events come after."""
    ids = {referral_id} | {
        id_ for id_ in batch_rows.held_for(conn, local_authority) if id_ not in waiting.journeys
    }
    for id_ in ids:
        waiting.journeys[id_] = _Journey(set(), [])
    rows = await conn.fetch(READ_JOURNEYS, sorted(ids))
    waiting_rows = [(s[0], s[1], s[2]) for s in waiting.steps if s[0] in ids]  # a new one's
    for referral, event, step in [tuple(r) for r in rows] + waiting_rows:
        journey = waiting.journeys[referral]
        journey.events.add(event)
        if step in _JOURNEY_STEPS:
            journey.steps.append(Step(step))


async def _write(conn: Connection, waiting: _Waiting) -> None:
    """Every step and status waiting, acting for their councils, and forget them."""
    if not waiting.steps and not waiting.statuses:
        return
    await act_for(conn, sorted(waiting.councils))
    if waiting.steps:
        await conn.execute(INSERT_STEPS, *(list(c) for c in zip(*waiting.steps, strict=True)))
    if waiting.statuses:
        await conn.execute(SET_STATUSES, list(waiting.statuses), list(waiting.statuses.values()))
    waiting.steps, waiting.statuses, waiting.councils = [], {}, set()
