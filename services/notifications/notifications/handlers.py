"""Kafka subscribers of the notifications service.

Every event in the message catalogue (``catalogue.CATALOGUE``) becomes its messages' rows:
queued when the recipient can be reached (caseworker messages always; a family's once their
contact and their request are both known), waiting otherwise; the contact and the request
(each on its own topic) queue whatever waited. The events come on separate topics, each
consumed on its own, so a later event can arrive first: a family's messages go in the order
their events happened, and none before the acknowledgement of the request.
Nothing is sent here: ``notifications.sender`` sends after these transactions commit.
Both kinds of handler take a per-referral lock first: without it, a message stored while the
contact is being saved would be seen by neither transaction and never queued.

Within a consumed batch (which holds its referrals' locks) the messages, and the queueing of
what waited, are put off to the batch's end and written together (``batch_messages``).

Each handler is one unit of work (``shared.unit_of_work``) of the service's own: a message
stored is audited as its creation (``system:notifications``); the erasure of a family's
contact as the retention job's (``system:retention``).

(Longer than most modules: one subscription line per catalogued event.)
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from notifications import batch_messages, erasure, link_generations, repository
from notifications.catalogue import CATALOGUE
from notifications.domain import alerts_for, queued
from shared.events import (
    AdviceRequested,
    AmendedPlanIssued,
    AmendmentsProposed,
    AnnualReviewDeadlineAtRisk,
    AnnualReviewDeadlineMissed,
    AnnualReviewDecided,
    AnnualReviewInvitationsSent,
    AnnualReviewReportSent,
    AssessmentDecided,
    ChildDetailsErased,
    DeadlineAtRisk,
    DeadlineMissed,
    DraftPlanIssued,
    EhcAssessmentRequested,
    Envelope,
    FamilyContactRegistered,
    FamilyLinksRevoked,
    FinalPlanIssued,
    FirstSessionArranged,
    OthersNotified,
    PartnerReferralHeld,
    PhaseTransferDeadlineMissed,
    PlanCeasingDecided,
    PlanCeasingProposed,
    PlanCommentsReceived,
    PlanIssueDecided,
    PlanReviewDue,
    PlanShared,
    PublicRequestReceived,
    ReassessmentConcluded,
    ReassessmentDecided,
    ReferralAwaitingTriage,
    ReferralReceived,
    ReferralWaitlisted,
    SpecialistAssigned,
    SpecialistsMatched,
    StatutoryExceptionRecorded,
    TransferredPlanDecided,
)
from shared.pending_writes import ActorKey
from shared.subscriptions import Events, Subscriptions, Uow
from shared.telemetry import current_trace_headers
from shared.unit_of_work import Actor

subscriptions = Subscriptions()


# One handler for every catalogued event but the requests themselves (``request_received``): the
# catalogue says what each causes. A test checks that every catalogued event is subscribed.
@subscriptions.on(SpecialistAssigned)
@subscriptions.on(ReferralWaitlisted)
@subscriptions.on(SpecialistsMatched)
@subscriptions.on(EhcAssessmentRequested)
@subscriptions.on(AssessmentDecided)
@subscriptions.on(AdviceRequested)
@subscriptions.on(PlanIssueDecided)
@subscriptions.on(DraftPlanIssued)
@subscriptions.on(FinalPlanIssued)
@subscriptions.on(StatutoryExceptionRecorded)
@subscriptions.on(PlanShared)
@subscriptions.on(PlanReviewDue)
@subscriptions.on(PlanCommentsReceived)
@subscriptions.on(DeadlineAtRisk)
@subscriptions.on(DeadlineMissed)
@subscriptions.on(PartnerReferralHeld)
@subscriptions.on(FirstSessionArranged)
@subscriptions.on(AnnualReviewInvitationsSent)
@subscriptions.on(AnnualReviewReportSent)
@subscriptions.on(AnnualReviewDecided)
@subscriptions.on(AmendmentsProposed)
@subscriptions.on(AmendedPlanIssued)
@subscriptions.on(PlanCeasingProposed)
@subscriptions.on(PlanCeasingDecided)
@subscriptions.on(AnnualReviewDeadlineAtRisk)
@subscriptions.on(AnnualReviewDeadlineMissed)
@subscriptions.on(PhaseTransferDeadlineMissed)
@subscriptions.on(OthersNotified)
@subscriptions.on(TransferredPlanDecided)
@subscriptions.on(ReassessmentDecided)
@subscriptions.on(ReassessmentConcluded)
async def queue_messages(message: Envelope[Any], uow: Uow) -> Events:
    """Store the messages an event causes (the catalogue's entry for its class), each audited
    once (a repeat of the event stores and audits nothing)."""
    event, conn = message.data, uow.conn
    await repository.lock_referral(conn, event.referral_id)
    if batch_messages.in_batch(conn):
        await _queue_in_batch(message, uow)
        return []
    reachable = await repository.family_reachable(conn, event.referral_id)
    for alert in alerts_for(
        event, CATALOGUE[type(event)], event_id=message.id, local_authority=message.localauthority
    ):
        added = await repository.add_alert(
            conn,
            alert,
            queued=queued(alert, family_reachable=reachable),
            occurred_at=message.time,
            trace_headers=current_trace_headers(),  # the send continues this event's trace
        )
        if added:
            uow.changed(
                "create", "notification",
                referral_id=event.referral_id, local_authority=message.localauthority,
            )  # fmt: skip
    return []


async def _queue_in_batch(message: Envelope[Any], uow: Uow) -> None:
    """``queue_messages`` in a consumed batch: the same messages, with the same statuses,
    stored (and audited) at the batch's end (``batch_messages``)."""
    event, conn, council = message.data, uow.conn, message.localauthority
    alerts = alerts_for(event, CATALOGUE[type(event)], event_id=message.id, local_authority=council)
    if not alerts:
        return
    reachable = await batch_messages.family_reachable(conn, event.referral_id, council)
    for alert in alerts:
        batch_messages.add_alert(
            conn,
            alert,
            queued=queued(alert, family_reachable=reachable),
            occurred_at=message.time,
            trace_headers=current_trace_headers(),  # the send continues this event's trace
            actor=_actor_key(uow.actor),
        )


def _actor_key(actor: Actor) -> ActorKey:
    """Whose work the audit rows are of, as the batch's pending rows say it."""
    return (actor.subject, tuple(sorted(actor.roles)), actor.request_id, actor.client_request_id)


@subscriptions.on(ReferralReceived)
@subscriptions.on(ReferralAwaitingTriage)
@subscriptions.on(PublicRequestReceived)
async def request_received(
    message: Envelope[ReferralReceived | ReferralAwaitingTriage | PublicRequestReceived], uow: Uow
) -> Events:
    """The request: kept (its acknowledgement is the family's first message; a request made
    on the public form asks first to be confirmed), its messages stored, then whatever waited
    for it queued."""
    received = message.data
    await repository.lock_referral(uow.conn, received.referral_id)  # before the request is kept
    if batch_messages.in_batch(uow.conn):
        batch_messages.save_request(uow.conn, received, local_authority=message.localauthority)
    else:
        await repository.save_request(uow.conn, received, local_authority=message.localauthority)
    await queue_messages(message, uow)
    await _queue_awaiting(uow, received.referral_id, message.localauthority)  # what came before
    return []


@subscriptions.on(FamilyContactRegistered)
async def family_contact_registered(message: Envelope[FamilyContactRegistered], uow: Uow) -> Events:
    """The family's contact: kept, and what waited for it queued."""
    await repository.lock_referral(uow.conn, message.data.referral_id)
    council = message.localauthority
    if batch_messages.in_batch(uow.conn):
        batch_messages.save_contact(uow.conn, message.data, local_authority=council)
    else:
        await repository.save_contact(uow.conn, message.data, local_authority=council)
    await _queue_awaiting(uow, message.data.referral_id, message.localauthority)
    return []


async def _queue_awaiting(uow: Uow, referral_id: UUID, local_authority: str) -> None:
    """Queue what waited for the family's contact and request: at the batch's end in a
    consumed batch (``batch_messages``), at once otherwise."""
    if batch_messages.in_batch(uow.conn):
        batch_messages.queue_awaiting(uow.conn, referral_id, local_authority)
    else:
        await repository.queue_awaiting(uow.conn, referral_id)


@subscriptions.on(FamilyLinksRevoked)
async def family_links_revoked(message: Envelope[FamilyLinksRevoked], uow: Uow) -> Events:
    """A caseworker revoked the family's links: the links in messages sent from now on are of
    the referral's new generation (the earlier ones no longer open anything)."""
    revoked = message.data
    await link_generations.save(
        uow.conn, revoked.referral_id, revoked.generation, local_authority=revoked.local_authority
    )
    return []


@subscriptions.on(ChildDetailsErased, acting_as=erasure.JOB)
async def erase_family_contact(message: Envelope[ChildDetailsErased], uow: Uow) -> Events:
    """Retention: referrals erased the child's details; the family's contact details go too
    (the retention job's work, audited as such)."""
    erased = message.data
    await repository.lock_referral(uow.conn, erased.referral_id)
    if await erasure.erase_family_contact(uow.conn, erased.referral_id, uow.pending):
        uow.changed(
            "erase", "family_contact",
            referral_id=erased.referral_id, local_authority=erased.local_authority,
        )  # fmt: skip
    return []
