"""What referrals knows of its specialists' work, for the caseload's filters: which registry
entry (team or practitioner) each referral's active allocations are with, and which roles it
waits for. Kept from specialists' events by the handlers that put them on the timeline
(migration 0012), so a caseload filter is one query here, never a call to another service.

The events come on three topics, so in any order: each function is written to give the same
rows whichever comes first, and a redelivery changes nothing.

In a consumed batch (of a few referrals: ``batch_rows.worth_putting_off``) the events of one
kind are written together at its end, one statement for all (``HeldReferrals.at_end``): about
two an event before (issue #25). The rows are the same: an allocation's later event sets its
time, as the second of two upserts did, and a wait deleted or kept depends only on the
allocations, which a batch of waits does not write (events of another kind in one batch, never
in practice: a batch is one topic's, write the waiting ones first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from referrals import batch_rows
from shared.councils import SETTING, act_for
from shared.db import Connection
from shared.events import AllocationEnded, DomainEvent, ReferralWaitlisted, SpecialistAssigned
from shared.referral_locks import HeldReferrals, held_on, kept_to_end

Followed = SpecialistAssigned | ReferralWaitlisted | AllocationEnded


async def follow(conn: Connection, event: DomainEvent, at: datetime) -> None:
    """What ``event`` (recorded on the timeline at ``at``) changes here: a specialists' event
    its rows (at the end of the consumed batch on ``conn``, if any); any other event nothing."""
    if not isinstance(event, Followed):
        return
    held = held_on(conn)
    if held is not None and batch_rows.worth_putting_off(held):
        await _waiting(held).add(conn, event, at)
    elif isinstance(event, SpecialistAssigned):
        await assigned(conn, event, at)
    elif isinstance(event, ReferralWaitlisted):
        await waitlisted(conn, event, at)
    elif isinstance(event, AllocationEnded):
        await ended(conn, event, at)


async def assigned(conn: Connection, event: SpecialistAssigned, at: datetime) -> None:
    """An allocation started: its entry works with the referral (unless its end came first),
    and the referral no longer waits for that role (a wait recorded before ``at``)."""
    await conn.execute(
        """INSERT INTO specialist_allocations (allocation_id, referral_id, local_authority,
               specialist_id, specialism, assigned_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (allocation_id) DO UPDATE SET assigned_at = EXCLUDED.assigned_at""",
        event.allocation_id,
        event.referral_id,
        event.local_authority,
        event.specialist_id,
        event.specialism,
        at,
    )
    await conn.execute(
        """DELETE FROM specialist_waits
           WHERE referral_id = $1 AND specialism = $2 AND since <= $3""",
        event.referral_id,
        event.specialism,
        at,
    )


async def waitlisted(conn: Connection, event: ReferralWaitlisted, at: datetime) -> None:
    """The referral waits for a role, unless an allocation of that role came after (its
    event arrived first)."""
    await conn.execute(
        """INSERT INTO specialist_waits (referral_id, specialism, local_authority, since)
           SELECT $1, $2, $3, $4
           WHERE NOT EXISTS (SELECT FROM specialist_allocations
                             WHERE referral_id = $1 AND specialism = $2 AND assigned_at >= $4)
           ON CONFLICT (referral_id, specialism) DO NOTHING""",
        event.referral_id,
        event.specialism,
        event.local_authority,
        at,
    )


async def ended(conn: Connection, event: AllocationEnded, at: datetime) -> None:
    """An allocation ended: its entry no longer works with the referral."""
    await conn.execute(
        """INSERT INTO specialist_allocations (allocation_id, referral_id, local_authority,
               specialist_id, specialism, ended_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (allocation_id) DO UPDATE SET ended_at = EXCLUDED.ended_at""",
        event.allocation_id,
        event.referral_id,
        event.local_authority,
        event.specialist_id,
        event.specialism,
        at,
    )


ASSIGNED = """WITH started AS (
                  INSERT INTO specialist_allocations (allocation_id, referral_id,
                      local_authority, specialist_id, specialism, assigned_at)
                  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[],
                                       $5::text[], $6::timestamptz[])
                  ON CONFLICT (allocation_id) DO UPDATE SET assigned_at = EXCLUDED.assigned_at)
              DELETE FROM specialist_waits w
              USING unnest($7::uuid[], $8::text[], $9::timestamptz[]) AS a(referral_id,
                    specialism, at)
              WHERE w.referral_id = a.referral_id AND w.specialism = a.specialism
                AND w.since <= a.at"""
"""``assigned`` for several allocations (each once, $1-$6: ``ON CONFLICT DO UPDATE`` may not
touch a row twice in one statement), and the waits each event ends ($7-$9)."""

WAITLISTED = """INSERT INTO specialist_waits (referral_id, specialism, local_authority, since)
                SELECT w.referral_id, w.specialism, w.local_authority, w.since
                FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[])
                    WITH ORDINALITY AS w(referral_id, specialism, local_authority, since, n)
                WHERE NOT EXISTS (SELECT FROM specialist_allocations a
                                  WHERE a.referral_id = w.referral_id
                                    AND a.specialism = w.specialism AND a.assigned_at >= w.since)
                ORDER BY w.n
                ON CONFLICT (referral_id, specialism) DO NOTHING"""
"""``waitlisted`` for several waits (of one role twice: the first kept, as one at a time)."""

ENDED = """INSERT INTO specialist_allocations (allocation_id, referral_id, local_authority,
               specialist_id, specialism, ended_at)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[],
                                $6::timestamptz[])
           ON CONFLICT (allocation_id) DO UPDATE SET ended_at = EXCLUDED.ended_at"""
"""``ended`` for several allocations (each once)."""

_KEY = "referrals.specialist_work"  # the key of this module's memory in HeldReferrals


@dataclass
class _Waiting:
    """A batch's specialists' events of one kind, not written yet."""

    kind: type[Followed] | None = None
    events: list[tuple[Followed, datetime]] = field(default_factory=list)

    async def add(self, conn: Connection, event: Followed, at: datetime) -> None:
        if self.kind is not None and self.kind is not type(event):  # see the module docstring
            acting: str = await conn.fetchval("SELECT current_setting($1, true)", SETTING)
            await self.write(conn)
            await conn.execute("SELECT set_config($1, $2, true)", SETTING, acting)
        self.kind = type(event)
        self.events.append((event, at))

    async def write(self, conn: Connection) -> None:
        """Every event waiting, in one statement, acting for their councils; then forgotten."""
        events, self.events, self.kind = self.events, [], None
        if not events:
            return
        await act_for(conn, sorted({e.local_authority for e, _ in events}))
        if isinstance(events[0][0], ReferralWaitlisted):
            waits = cast("list[tuple[ReferralWaitlisted, datetime]]", events)
            await conn.execute(
                WAITLISTED,
                [e.referral_id for e, _ in waits],
                [e.specialism for e, _ in waits],
                [e.local_authority for e, _ in waits],
                [at for _, at in waits],
            )
            return
        allocations = cast("list[tuple[SpecialistAssigned | AllocationEnded, datetime]]", events)
        rows = list({e.allocation_id: (e, at) for e, at in allocations}.values())  # the last
        columns = (
            [e.allocation_id for e, _ in rows],
            [e.referral_id for e, _ in rows],
            [e.local_authority for e, _ in rows],
            [e.specialist_id for e, _ in rows],
            [e.specialism for e, _ in rows],
            [at for _, at in rows],
        )
        if isinstance(events[0][0], AllocationEnded):
            await conn.execute(ENDED, *columns)
            return
        ends = ([e.referral_id for e, _ in events], [e.specialism for e, _ in events])
        await conn.execute(ASSIGNED, *columns, *ends, [at for _, at in events])


def _waiting(held: HeldReferrals) -> _Waiting:
    """The batch's events waiting, their writing put off to its end by the first."""
    return kept_to_end(held, _KEY, _Waiting, lambda conn, waiting: waiting.write(conn))
