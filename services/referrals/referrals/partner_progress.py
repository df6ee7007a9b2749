"""What an NHS partner is told as its referral moves on: the milestones (plan drafted,
waitlisted, specialist assigned), each a Task status update on the partner's own outcome topic,
under the id that partner was given. Which milestones is pure (``milestones_to_tell``); to
whom, a read of the partners' requests."""

from __future__ import annotations

import json
from typing import cast
from uuid import UUID

import asyncpg

from referrals import batch_rows
from referrals.domain import Step, TimelineStep
from referrals.fhir_bundle import link_of, task, task_id_of
from shared.db import Connection
from shared.events import DomainEvent, PartnerReferralAnswered
from shared.referral_locks import held_on

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


PARTNER_REQUESTS = """SELECT referral_id, partner, request_id, answer::text AS answer
                      FROM partner_requests WHERE referral_id = ANY($1::uuid[])
                      ORDER BY answered_at, partner, request_id"""
"""The partners' requests of several referrals (a consumed batch's), each's in the order they
were answered."""

_KEY = "referrals.partner_requests"  # the key of this module's memory in HeldReferrals


async def partner_progress(
    conn: Connection, referral_id: UUID, milestones: list[str]
) -> list[DomainEvent]:
    """For a referral NHS partners made (or a caseworker joined a partner's held request to):
    each partner request's Task, in progress at each milestone, under the id that partner
    was given; else nothing."""
    if not milestones:
        return []
    events: list[DomainEvent] = []
    for row in await _requests_of(conn, referral_id):  # none: nobody to tell
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


async def _requests_of(conn: Connection, referral_id: UUID) -> list[asyncpg.Record]:
    """The referral's partner requests. In a consumed batch holding it, read once for all the
    batch's referrals, at its first milestone (most referrals come from the HTTP API or the
    intake topic: a statement a milestone found nothing, two a referral, issue #25); the
    requests are partners' own (no council policy), and one joined to a referral meanwhile is
    a caseworker's decision that may come as well after the batch as during it."""
    held = held_on(conn)
    if held is None or str(referral_id) not in held.ids:
        return await conn.fetch(PARTNER_REQUESTS, [referral_id])
    remembered = held.remembered.get(_KEY)
    if remembered is None:
        ids = sorted(batch_rows.referral_ids(held.ids))
        requests: dict[UUID, list[asyncpg.Record]] = {id_: [] for id_ in ids}
        for row in await conn.fetch(PARTNER_REQUESTS, ids):
            requests[row["referral_id"]].append(row)
        remembered = held.remembered[_KEY] = requests
    return cast("dict[UUID, list[asyncpg.Record]]", remembered).get(referral_id, [])
