"""Kafka subscribers of the specialists service."""

from __future__ import annotations

from shared.audit import SystemChanges, record_system, record_system_changes
from shared.events import (
    AllocationEnded,
    DomainEvent,
    EhcAssessmentRequested,
    Envelope,
    PlanDrafted,
    ReferralClosed,
    ReferralWaitlisted,
    SpecialistAssigned,
)
from shared.subscriptions import Conn, Events, Subscriptions
from specialists import store, waitlist
from specialists.allocating import match
from specialists.needs import Needed, roles_needed, statutory_roles, weight

subscriptions = Subscriptions()

CHANGES: SystemChanges = {  # audited as system:specialists (never a person's doing here)
    SpecialistAssigned: ("create", "allocation"),
    ReferralWaitlisted: ("create", "waitlist"),
    AllocationEnded: ("update", "allocation"),
}


async def audited(conn: Conn, events: Events) -> Events:
    """``events``, once the changes they announce are in the audit trail."""
    await record_system_changes(conn, "specialists", events, CHANGES)
    return events


@subscriptions.on(PlanDrafted)
async def match_specialist(message: Envelope[PlanDrafted], conn: Conn) -> Events:
    """A drafted plan gets one allocation per role its provision needs (and, on the EHC
    track, the statutory advice-givers), each close to home, or a place on the waitlist."""
    plan = message.data
    need = await store.save_plan_need(conn, plan, message.time)
    needed = roles_needed(plan.roles(), need.sen2, ehc=need.track == "ehc")
    return await audited(conn, await match(conn, need, needed))


@subscriptions.on(EhcAssessmentRequested)
async def add_statutory_advice_givers(
    message: Envelope[EhcAssessmentRequested], conn: Conn
) -> Events:
    """An EHC request (at intake, or a support request escalated): the statutory advisers
    are allocated too, and the referral's waits are ordered by its final plan's date. A plan
    not drafted yet adds them when it comes."""
    request = message.data
    need = await store.mark_ehc(
        conn, request.referral_id, request.local_authority, request.final_plan_due
    )
    # Support given already counts as an EHC case from now, where the team has the room.
    places = weight("ehc", need.primary_need)
    for _ in await store.reweigh(conn, request.referral_id, places):  # ids only, one row each
        await record_system(
            conn,
            "specialists",
            "reweigh",
            "allocation",
            referral_id=request.referral_id,
            local_authority=request.local_authority,
        )
    if need.plan_id is None:
        return []
    return await audited(
        conn, await match(conn, need, [Needed(r, True) for r in statutory_roles(need.sen2)])
    )


@subscriptions.on(ReferralClosed)
async def referral_closed(message: Envelope[ReferralClosed], conn: Conn) -> Events:
    """The council closed the referral: it leaves the waitlist, and each of its allocations
    ends, its places offered to the waitlist at once (a redelivery finds nothing to end)."""
    closed = message.data
    await store.leave_waitlist(conn, closed.referral_id)
    events: list[DomainEvent] = []
    for allocation_id in await store.active_allocations(conn, closed.referral_id):
        ended = await waitlist.end(conn, allocation_id, closed.reason)
        if ended is not None:
            events += [ended[0], *ended[1]]
    return await audited(conn, events)
