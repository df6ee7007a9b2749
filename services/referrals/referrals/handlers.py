"""Kafka subscribers of the referrals service, each one decorated ``(message, uow) -> events``
(``shared.subscriptions``; the runtime adds the events to the unit of work, audited as
``system:referrals``): a referral on the intake topic taken in, every downstream step put on
the timeline (NHS partners told of their milestones), and the plans service's EHC plan steps
recorded as the statutory steps they are (``referrals.plan_steps``)."""

from __future__ import annotations

from typing import Any

from referrals import batch_intake, plan_steps, repository, specialist_work
from referrals.domain import STEP_OF_EVENT, Step, TimelineStep
from referrals.notices.plan_letters import letter_due
from referrals.notices.telling import others_told, with_others_told
from referrals.partner_progress import milestones_to_tell, partner_progress
from referrals.schemas import ReferralRequest
from referrals.state import referrals_of
from referrals.taking_in import new_referral, rule_problems, take_in
from shared.dates import london_today
from shared.db import Connection
from shared.events import (
    AllocationAccepted,
    AllocationEnded,
    Envelope,
    FirstSessionArranged,
    NotificationDelivered,
    NotificationSent,
    PlanAgreed,
    PlanCommentsReceived,
    PlanDrafted,
    PlanFinalised,
    PlanIssuedForComment,
    PlanReviewDue,
    PlanRevised,
    PlanShared,
    ReferralRequested,
    ReferralWaitlisted,
    SpecialistAssigned,
)
from shared.subscriptions import Events, Subscriptions, Uow

subscriptions = Subscriptions()


@subscriptions.on(ReferralRequested, before_batch=batch_intake.take_in_together)
async def referral_requested(message: Envelope[ReferralRequested], uow: Uow) -> Events:
    """A referral arriving on the intake topic: the same rules as ``POST /v1/referrals`` (of
    the settings the service was made with: ``uow.service``). One that breaks them is
    dead-lettered at once, naming each field (never its value). A consumed batch's referrals
    are stored together before their handlers run (``batch_intake``)."""
    body = ReferralRequest.model_validate(message.data.request)
    if body.local_authority != message.localauthority:
        raise ValueError("local_authority: differs from the event's localauthority")
    today = london_today()
    problems = rule_problems(referrals_of(uow.service).intake_rules, body, today)
    if problems:
        raise ValueError("; ".join(f"{'.'.join(loc)}: {why}" for loc, why in problems))
    referral = new_referral(message.data.referral_id, body, today)
    events, _ = await take_in(uow.conn, referral, body.child)
    return await with_others_told(uow, events)


@subscriptions.on(PlanDrafted)
@subscriptions.on(ReferralWaitlisted)
@subscriptions.on(SpecialistAssigned)
@subscriptions.on(AllocationEnded)
@subscriptions.on(AllocationAccepted)
@subscriptions.on(PlanShared)
@subscriptions.on(PlanCommentsReceived)
@subscriptions.on(PlanAgreed)
@subscriptions.on(PlanRevised)
@subscriptions.on(PlanReviewDue)
async def step_taken(message: Envelope[Any], uow: Uow) -> Events:
    """A step another service took (``STEP_OF_EVENT``): on the timeline."""
    return await _record(uow.conn, message)


@subscriptions.on(FirstSessionArranged)
async def first_session_arranged(message: Envelope[FirstSessionArranged], uow: Uow) -> Events:
    """The first session's day on the timeline (its detail), for the family and the
    caseworker; a new day for it is a step of its own."""
    return await _record(uow.conn, message, detail=message.data.session_on.isoformat())


# The message asking to confirm a request made on the public form (notifications' template):
# about a request, not a referral (there is none until it is confirmed); never on a timeline.
CONFIRM_REQUEST = "confirm-request"


@subscriptions.on(NotificationSent)
async def notification_sent(message: Envelope[NotificationSent], uow: Uow) -> Events:
    if message.data.audience != "family" or message.data.template == CONFIRM_REQUEST:
        # A mailbox's (the team's, an adviser's): its delivery is recorded, not this; the
        # confirmation of a public request is about no referral's timeline.
        return []
    return await _record(uow.conn, message)


@subscriptions.on(NotificationDelivered)
async def notification_delivered(message: Envelope[NotificationDelivered], uow: Uow) -> Events:
    """Family notified only when the family was: a message to the council's SEND team is the
    team's own step, which the family view leaves out and the status ignores."""
    if message.data.template == CONFIRM_REQUEST:
        return []
    if message.data.audience != "family":  # the team's, or an adviser asked for advice
        template = message.data.template
        return await _record(uow.conn, message, step=Step.TEAM_ALERTED, detail=template)
    return await _record(uow.conn, message)


# An EHC plan's issue and finalisation are statutory steps, recorded through the statutory code.
@subscriptions.on(PlanIssuedForComment)
async def plan_issued_for_comment(message: Envelope[PlanIssuedForComment], uow: Uow) -> Events:
    """The draft plan, and the family's letter of it (Reg 13(1)); no one else is told."""
    events = await plan_steps.draft_issued_in_plans(uow.conn, message)
    for event in events:
        await letter_due(uow, event)
    return events


@subscriptions.on(PlanFinalised)
async def plan_finalised(message: Envelope[PlanFinalised], uow: Uow) -> Events:
    """The final plan, the family's letter of it (the right to appeal, Reg 14), and the named
    school and health commissioning body told (Reg 13(2))."""
    events = await plan_steps.final_issued_in_plans(uow.conn, message)
    for event in events:
        await letter_due(uow, event)
    return [*events, *[told for e in events for told in await others_told(uow, e)]]


async def _record(
    conn: Connection,
    message: Envelope[Any],
    step: TimelineStep | None = None,
    detail: str | None = None,
) -> Events:
    """The step on the timeline, the status it leaves, the caseload's filters (specialists'
    work), and the milestones NHS partners are told of."""
    mapped, service = STEP_OF_EVENT[type(message.data)]
    step = step or mapped
    # An unknown referral raises LookupError: dead-lettered at once (it never heals).
    steps = await repository.add_step_and_status(
        conn,
        referral_id=message.data.referral_id,
        event_id=message.id,
        step=step,
        service=service,
        occurred_at=message.time,
        detail=detail,
        local_authority=message.localauthority,  # the batch's lock is the step's
    )
    await specialist_work.follow(conn, message.data, message.time)  # the caseload's filters
    told = milestones_to_tell(steps, step)
    return await partner_progress(conn, message.data.referral_id, told)
