"""What referrals knows of its specialists' work, for the caseload's filters: which registry
entry (team or practitioner) each referral's active allocations are with, and which roles it
waits for. Kept from specialists' events by the handlers that put them on the timeline
(migration 0012), so a caseload filter is one query here, never a call to another service.

The events come on three topics, so in any order: each function is written to give the same
rows whichever comes first, and a redelivery changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from shared.db import Connection
from shared.events import AllocationEnded, DomainEvent, ReferralWaitlisted, SpecialistAssigned


async def follow(conn: Connection, event: DomainEvent, at: datetime) -> None:
    """What ``event`` (recorded on the timeline at ``at``) changes here: a specialists' event
    its rows; any other event nothing."""
    if isinstance(event, SpecialistAssigned):
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
