"""Kafka subscribers of the specialists service: each gets its event and a unit of work (the
transaction that records the event, as ``system:specialists``) and returns the events it
caused; the runtime stores them with the audit rows they stand for (``shared.audits``)."""

from __future__ import annotations

from shared.events import (
    AssessmentDecided,
    DomainEvent,
    EhcAssessmentRequested,
    Envelope,
    PlanDrafted,
    ReferralClosed,
)
from shared.subscriptions import Events, Subscriptions, Uow
from specialists import store, waitlist
from specialists.allocating import match
from specialists.needs import Needed, roles_needed, statutory_roles

subscriptions = Subscriptions()


@subscriptions.on(PlanDrafted)
async def match_specialist(message: Envelope[PlanDrafted], uow: Uow) -> Events:
    """A drafted plan gets one allocation per role its provision needs, each close to home,
    or a place on the waitlist. The statutory advice-givers come when the council decides to
    assess (``add_statutory_advice_givers``), not with the plan or the request: with the plan,
    when that decision came first."""
    plan = message.data
    need, assessing = await store.save_plan_need(uow.conn, plan, message.time)
    return await match(uow.conn, need, roles_needed(plan.roles(), need.sen2, ehc=assessing))


@subscriptions.on(AssessmentDecided)
async def add_statutory_advice_givers(message: Envelope[AssessmentDecided], uow: Uow) -> Events:
    """The council decided to assess: the statutory advice-givers (an educational
    psychologist for every child, a sensory teacher for a sensory need) are allocated now,
    not at the request (Reg 6(1)(d): psychological advice is sought for the assessment). A
    refusal allocates none. A decision before the child's plan reached matching is kept, and
    the advisers come with the plan (``match_specialist``): never dead-lettered, never lost."""
    decided = message.data
    if decided.decision != "assess":
        return []
    need = await store.mark_assessing(
        uow.conn, decided.referral_id, decided.local_authority, decided.decided_on
    )
    if need.plan_id is None:
        return []  # allocated with the plan, when it comes
    return await match(uow.conn, need, [Needed(r, True) for r in statutory_roles(need.sen2)])


@subscriptions.on(EhcAssessmentRequested)
async def weigh_as_ehc(message: Envelope[EhcAssessmentRequested], uow: Uow) -> Events:
    """An EHC request (at intake, or a support request escalated): the referral counts as an
    EHC case and its waits are ordered by its final plan's date. Its statutory advisers come
    with the decision to assess."""
    request = message.data
    need = await store.mark_ehc(
        uow.conn, request.referral_id, request.local_authority, request.final_plan_due
    )
    # Support given already counts as an EHC case from now, where the team has the room.
    for _ in await store.reweigh(uow.conn, request.referral_id, need.places):  # one row each
        uow.changed(
            "reweigh",
            "allocation",
            referral_id=request.referral_id,
            local_authority=request.local_authority,
        )
    return []


@subscriptions.on(ReferralClosed)
async def referral_closed(message: Envelope[ReferralClosed], uow: Uow) -> Events:
    """The council closed the referral: it leaves the waitlist, and each of its allocations
    ends, its places offered to the waitlist at once (a redelivery finds nothing to end)."""
    closed = message.data
    await store.leave_waitlist(uow.conn, closed.referral_id)
    events: list[DomainEvent] = []
    for allocation_id in await store.active_allocations(uow.conn, closed.referral_id):
        ended = await waitlist.end(uow.conn, allocation_id, closed.reason)
        if ended is not None:
            offered = await waitlist.offer(uow.conn, ended.local_authority, ended.specialism)
            events += [ended, *offered]
    return events
