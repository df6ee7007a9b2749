"""Kafka subscribers of the referrals service: every downstream step lands on the timeline."""

from __future__ import annotations

import json
from typing import Any

from referrals import plan_handlers, repository, specialist_work
from referrals.domain import STEP_OF_EVENT, Step, TimelineStep, status_after
from referrals.fhir_bundle import link_of, task, task_id_of
from referrals.intake import london_today
from referrals.schemas import ReferralRequest
from referrals.taking_in import intake_rules, new_referral, rule_problems, take_in
from shared.audit import AuditTrail
from shared.auth import Principal
from shared.events import (
    AllocationEnded,
    DomainEvent,
    Envelope,
    NotificationDelivered,
    NotificationSent,
    PartnerReferralAnswered,
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
from shared.subscriptions import Conn, Events, Subscriptions

subscriptions = Subscriptions()


@subscriptions.on(ReferralRequested)
async def referral_requested(message: Envelope[ReferralRequested], conn: Conn) -> Events:
    """A referral arriving on the intake topic: the same rules as ``POST /v1/referrals``. One
    that breaks them is dead-lettered at once, naming each field (never its value)."""
    body = ReferralRequest.model_validate(message.data.request)
    if body.local_authority != message.localauthority:
        raise ValueError("local_authority: differs from the event's localauthority")
    today = london_today()
    problems = rule_problems(intake_rules(), body, today)
    if problems:
        raise ValueError("; ".join(f"{'.'.join(loc)}: {why}" for loc, why in problems))
    referral = new_referral(message.data.referral_id, body, today)
    principal = Principal(f"system:{message.source}", frozenset(), (referral.local_authority,))
    events, _ = await take_in(conn, AuditTrail(principal, str(message.id)), referral, body.child)
    return events


PARTNER_PROGRESS: dict[Step, str] = {
    Step.PLAN_DRAFTED: "plan-drafted",
    Step.WAITLISTED: "waitlisted",
    Step.SPECIALIST_ASSIGNED: "specialist-assigned",
}
"""The milestones an NHS partner is told of (a Task status update on its outcome topic), in
the order a referral reaches them."""
_RANK = {step: rank for rank, step in enumerate(PARTNER_PROGRESS, start=1)}


def milestones_to_tell(steps: list[Step], step: TimelineStep) -> list[str]:
    """The milestones a partner is told of when ``step`` is recorded (``steps``: the timeline's
    steps, ``step`` among them), in order; pure. Steps come on different topics, so a
    specialist assigned may be recorded before the plan it followed: the partner is then told
    of the plan first, and of the late plan step nothing. A Task never goes back."""
    if not isinstance(step, Step) or step not in _RANK:
        return []
    earlier = list(steps)
    if step in earlier:
        earlier.remove(step)
    reached = max((_RANK[s] for s in earlier if s in _RANK), default=0)
    if _RANK[step] <= reached:
        return []  # implied by a milestone already told
    implied = [PARTNER_PROGRESS[Step.PLAN_DRAFTED]] if reached == 0 and _RANK[step] > 1 else []
    return [*implied, PARTNER_PROGRESS[step]]


async def _partner_progress(conn: Conn, referral_id: Any, milestones: list[str]) -> Events:
    """For a referral NHS partners made (or a caseworker joined a partner's held request to):
    each partner request's Task, in progress at each milestone, under the id that partner
    was given; else nothing."""
    if not milestones:
        return []
    rows = await conn.fetch(
        """SELECT partner, request_id, answer::text AS answer FROM partner_requests
           WHERE referral_id = $1 ORDER BY answered_at, partner, request_id""",
        referral_id,
    )
    events: list[DomainEvent] = []
    for row in rows:  # none: from the HTTP API or the intake topic, nobody to tell
        answer = json.loads(row["answer"])
        given = task_id_of(answer)  # a held request joined here keeps its own id
        events += [
            PartnerReferralAnswered(
                referral_id=given,
                partner=row["partner"],
                request_id=row["request_id"],
                outcome="progressed",
                resource=task(given, row["request_id"], link_of(answer), milestone),
            )
            for milestone in milestones
        ]
    return events


async def _record(
    conn: Conn, message: Envelope[Any], step: TimelineStep | None = None, detail: str | None = None
) -> Events:
    mapped, service = STEP_OF_EVENT[type(message.data)]
    step = step or mapped
    # An unknown referral raises LookupError: dead-lettered at once (it never heals).
    steps = await repository.add_step(
        conn,
        referral_id=message.data.referral_id,
        event_id=message.id,
        step=step,
        service=service,
        occurred_at=message.time,
        detail=detail,
    )
    await repository.set_status(conn, message.data.referral_id, status_after(steps))
    await specialist_work.follow(conn, message.data, message.time)  # the caseload's filters
    told = milestones_to_tell(steps, step)
    return await _partner_progress(conn, message.data.referral_id, told)


@subscriptions.on(PlanDrafted)
async def plan_drafted(message: Envelope[PlanDrafted], conn: Conn) -> Events:
    return await _record(conn, message)


@subscriptions.on(ReferralWaitlisted)
async def referral_waitlisted(message: Envelope[ReferralWaitlisted], conn: Conn) -> Events:
    return await _record(conn, message)


@subscriptions.on(SpecialistAssigned)
async def specialist_assigned(message: Envelope[SpecialistAssigned], conn: Conn) -> Events:
    return await _record(conn, message)


@subscriptions.on(AllocationEnded)
async def allocation_ended(message: Envelope[AllocationEnded], conn: Conn) -> Events:
    return await _record(conn, message)


@subscriptions.on(NotificationSent)
async def notification_sent(message: Envelope[NotificationSent], conn: Conn) -> Events:
    if message.data.audience == "caseworker":
        return []  # the team's mailbox: its delivery is recorded (team_alerted), not this
    return await _record(conn, message)


@subscriptions.on(NotificationDelivered)
async def notification_delivered(message: Envelope[NotificationDelivered], conn: Conn) -> Events:
    """Family notified only when the family was: a message to the council's SEND team is the
    team's own step, which the family view leaves out and the status ignores."""
    if message.data.audience == "caseworker":
        return await _record(conn, message, step=Step.TEAM_ALERTED, detail=message.data.template)
    return await _record(conn, message)


@subscriptions.on(PlanShared)
async def plan_shared(message: Envelope[PlanShared], conn: Conn) -> Events:
    return await _record(conn, message)


@subscriptions.on(PlanCommentsReceived)
async def plan_comments_received(message: Envelope[PlanCommentsReceived], conn: Conn) -> Events:
    return await _record(conn, message)


@subscriptions.on(PlanAgreed)
async def plan_agreed(message: Envelope[PlanAgreed], conn: Conn) -> Events:
    return await _record(conn, message)


@subscriptions.on(PlanRevised)
async def plan_revised(message: Envelope[PlanRevised], conn: Conn) -> Events:
    return await _record(conn, message)


@subscriptions.on(PlanReviewDue)
async def plan_review_due(message: Envelope[PlanReviewDue], conn: Conn) -> Events:
    return await _record(conn, message)


# An EHC plan's issue and finalisation are statutory steps, recorded through the statutory code.
subscriptions.on(PlanIssuedForComment)(plan_handlers.plan_issued_for_comment)
subscriptions.on(PlanFinalised)(plan_handlers.plan_finalised)
