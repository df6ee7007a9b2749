"""Allocating one role a referral needs: the best entry with room, or the waitlist (what
that comes to is ``specialists.domain``'s; here, the reads and writes around it)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from prometheus_client import Counter, Histogram

from shared.db import Connection
from shared.events import DomainEvent, WaitReason
from specialists import domain, store
from specialists.domain import Outcome
from specialists.matching import rank
from specialists.needs import Need, Needed

WAITS = Histogram(
    "send_specialists_wait_seconds",
    "Time from a plan asking for a role to its allocation (role and council only)",
    ["role", "council"],
    buckets=(60, 3600, 86400, 7 * 86400, 28 * 86400, 91 * 86400, 182 * 86400, 365 * 86400),
    registry=None,  # registered in each app's registry (specialists.app)
)

GAPS = Counter(
    "send_specialists_no_team",
    "Referrals needing a role no team serves in their council (a gap to commission)",
    ["role", "council"],
    registry=None,
)


async def allocate(
    conn: Connection, need: Need, needed: Needed, *, from_waitlist: bool = False
) -> Outcome | WaitReason:
    """An allocation for ``needed.role``, or the child waits: a new waitlist row (a
    ``ReferralWaitlisted``), or, working the waitlist, the reason the child still waits."""
    assert need.plan_id is not None
    assert need.postcode_district is not None
    role, council, places = needed.role, need.local_authority, need.places
    ranking = rank(await store.entries(conn, role, council), role, need.child, places)
    for choice in ranking.choices:  # best first; the atomic update decides who has room
        if not await store.take_places(conn, choice.entry.id, places):
            continue
        assigned = domain.assignment(need, needed, choice, uuid4(), from_waitlist=from_waitlist)
        now = datetime.now(UTC)
        since = need.needed_since or now
        await conn.execute(
            """INSERT INTO allocations (id, referral_id, plan_id, specialist_id, role,
                   local_authority, postcode_district, weight, reasons, statutory,
                   from_waitlist, needed_since, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)""",
            assigned.allocation_id,
            need.referral_id,
            need.plan_id,
            choice.entry.id,
            role,
            council,
            need.postcode_district,
            places,
            list(choice.reasons),
            needed.statutory,
            from_waitlist,
            since,
            now,
        )
        WAITS.labels(role, council).observe(max((now - since).total_seconds(), 0))
        return assigned
    reason = domain.wait_reason(ranking, places)
    await conn.execute(
        """INSERT INTO waitlist (referral_id, plan_id, role, local_authority, reason,
               statutory_due, statutory, since)
           VALUES ($1, $2, $3, $4, $5, $6, $7, coalesce($8, now()))
           ON CONFLICT (referral_id, role) DO UPDATE SET reason = EXCLUDED.reason""",
        need.referral_id,
        need.plan_id,
        role,
        council,
        reason,
        need.statutory_due,
        needed.statutory,
        need.needed_since,
    )
    if from_waitlist:
        return reason
    if reason == "no_team":
        GAPS.labels(role, council).inc()
    return domain.waiting(need, needed, reason)


async def match(conn: Connection, need: Need, needed: list[Needed]) -> list[DomainEvent]:
    """Allocate every role not yet in hand (in role order, so concurrent matches lock entries
    in one order), and tell the family once (``domain.told_together``)."""
    in_hand = await store.roles_in_hand(conn, need.referral_id)
    wanted = [n for n in needed if n.role not in in_hand]
    done: dict[str, Outcome] = {}
    for each in sorted(wanted, key=lambda n: n.role):
        outcome = await allocate(conn, need, each)
        assert not isinstance(outcome, str)  # a new wait is an event
        done[each.role] = outcome
    return domain.told_together(need, [done[n.role] for n in wanted])  # the plan's order
