"""Announcing open requests brought in before ``open-request-imported`` existed again (issue
#22): plans holds no plan for them, so each later step of theirs is dead-lettered there. For
each open request of a council, its ``OpenRequestImported`` as the import would have sent it
(the request as its steps in the earlier system left it, never the steps taken here since),
then the child's name for the plan (``ChildIdentified``), as the import sends them. Plans
skips a request whose plan it holds, so announcing a request again changes nothing there;
its dead-lettered steps can then be replayed (``python -m shared.dlq replay``).

The steps taken in the earlier system are those whose timeline entry says so (``earlier
system``): a decision to issue or a draft taken here is left out, as is advice recorded here
(its timeline entry names its kind)."""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

from asyncpg import Record

from referrals.domain import StatutoryStep, age_on, phase_of
from referrals.statutory import Deadline, deadline_dates
from shared.db import Connection
from shared.events import ChildIdentified, DomainEvent, ImportedAdvice, OpenRequestImported

EARLIER_SYSTEM = "earlier system"
"""The timeline's detail of a step an import replayed (``open_requests_importing``)."""


async def announcements(conn: Connection, councils: list[str]) -> list[tuple[DomainEvent, str]]:
    """Each open request of ``councils`` brought in here: its ``OpenRequestImported`` and its
    child's ``ChildIdentified`` (none for a child whose details retention erased), each with
    its council. One at a time per council with its imports (their advisory lock)."""
    for council in sorted(councils):
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"live-plans|{council}"
        )
    requests = await conn.fetch(
        """SELECT o.referral_id, o.local_authority, r.received_on, r.requested_by,
               r.primary_need, r.secondary_needs, r.postcode_district, c.date_of_birth,
               c.given_name, c.family_name, c.erased_at, e.plan_decision,
               e.plan_decided_on, e.draft_issued_on, e.comments_due
           FROM open_requests o JOIN referrals r ON r.id = o.referral_id
           JOIN children c ON c.id = r.child_id
           JOIN ehc_requests e ON e.referral_id = o.referral_id
           WHERE o.local_authority = ANY($1::text[])
           ORDER BY o.imported_at, o.case_id""",
        councils,
    )
    ids = [r["referral_id"] for r in requests]
    earlier: dict[UUID, set[str]] = defaultdict(set)
    here: dict[UUID, set[str]] = defaultdict(set)
    for entry in await conn.fetch(
        "SELECT referral_id, step, detail FROM timeline WHERE referral_id = ANY($1::uuid[])", ids
    ):
        if entry["detail"] == EARLIER_SYSTEM:
            earlier[entry["referral_id"]].add(entry["step"])
        elif entry["step"] == StatutoryStep.ADVICE_RECEIVED.value:
            here[entry["referral_id"]].add(entry["detail"])
    advice: dict[UUID, list[ImportedAdvice]] = defaultdict(list)
    for a in await conn.fetch(
        """SELECT referral_id, kind, received_on FROM advice_requests
           WHERE referral_id = ANY($1::uuid[]) AND received_on IS NOT NULL
           ORDER BY received_on, kind""",
        ids,
    ):
        if a["kind"] not in here[a["referral_id"]]:
            advice[a["referral_id"]].append(
                ImportedAdvice(kind=a["kind"], received_on=a["received_on"])
            )
    events: list[tuple[DomainEvent, str]] = []
    for r in requests:
        rid, steps = r["referral_id"], earlier[r["referral_id"]]
        decided = StatutoryStep.PLAN_ISSUE_DECIDED.value in steps
        drafted = StatutoryStep.DRAFT_PLAN_ISSUED.value in steps
        clock = deadline_dates(r["received_on"])
        born = r["date_of_birth"]
        announced = OpenRequestImported(
            referral_id=rid,
            local_authority=r["local_authority"],
            received_on=r["received_on"],
            requested_by=r["requested_by"],
            needs=[r["primary_need"], *(r["secondary_needs"] or [])],
            postcode_district=r["postcode_district"],
            decision_due=clock[Deadline.DECISION][1],
            final_plan_due=clock[Deadline.FINAL_PLAN][1],
            phase=phase_of(born, r["received_on"]),
            age_years=age_on(born, r["received_on"]),
            advice_received=advice[rid],
            plan_decision=r["plan_decision"] if decided else None,
            plan_decided_on=r["plan_decided_on"] if decided else None,
            draft_issued_on=r["draft_issued_on"] if drafted else None,
            comments_due=r["comments_due"] if drafted else None,
        )
        events.append((announced, r["local_authority"]))
        if r["erased_at"] is None:
            events.append((_child(rid, r), r["local_authority"]))
    return events


def _child(referral_id: UUID, r: Record) -> ChildIdentified:
    return ChildIdentified(
        referral_id=referral_id, given_name=r["given_name"], family_name=r["family_name"],
        date_of_birth=r["date_of_birth"],
    )  # fmt: skip
