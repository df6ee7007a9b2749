"""Storing a file's open requests in one statement a table, as the plans import stores its
plans: 5,000 requests at every stage in seconds, not a handful of statements each (about a
minute). Each request's rows are worked out here as its steps' routes would have left them,
step by step in the process's order (``referrals.ehc_repository``: the clock set when the
request was received, each deadline met on its step's day or cancelled by a refusal, the
advice asked for and each kind received on its own day), then written at once. The rows are
the same as those routes write; only the number of round trips changes.

(Longer than most modules: every table's rows for a request, worked out in one pass, read
best together with the statements that write them.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

from referrals.domain import Step
from referrals.ehc_repository import ADVICE
from referrals.intake import name_key
from referrals.live.open_request_row import OpenRequestIn
from referrals.statutory import CLOSED, AdviceKind, Deadline, EhcRequest, deadline_dates
from shared.db import Connection
from shared.events import AdviceReceived, AdviceRequested, DomainEvent


@dataclass(frozen=True)
class OpenRequest:
    """One request to store: the row, the request as its steps leave it (its referral id the
    new referral's), its steps' events in order, and its child when known here already."""

    row: OpenRequestIn
    request: EhcRequest
    events: list[DomainEvent]
    child_id: UUID | None


@dataclass
class _Limit:
    statutory_due_on: date
    due_on: date
    met_on: date | None = None
    cancelled: bool = False


class _Clock:
    """A request's deadlines, changed as ``ehc_repository.meet`` and ``cancel`` change them:
    a deadline met stays met, a cancelled one is never met."""

    def __init__(self) -> None:
        self.limits: dict[str, _Limit] = {}

    def meet(self, kinds: list[str], on: date) -> None:
        for kind in kinds:
            limit = self.limits.get(kind)
            if limit is not None and limit.met_on is None and not limit.cancelled:
                limit.met_on = on

    def cancel(self, kinds: list[Deadline]) -> None:
        for kind in kinds:
            limit = self.limits.get(kind.value)
            if limit is not None and limit.met_on is None:
                limit.cancelled = True


@dataclass
class _Rows:
    children: list[tuple[object, ...]]
    referrals: list[tuple[object, ...]]
    requests: list[tuple[object, ...]]
    deadlines: list[tuple[object, ...]]
    advice: list[tuple[object, ...]]
    closed: list[UUID]
    open_requests: list[tuple[object, ...]]


async def store(conn: Connection, batch: list[OpenRequest]) -> None:
    """Every request's child (when new), referral, EHC request, deadlines, advice and its
    ``open_requests`` row: a statement a table for the whole batch."""
    rows = _Rows([], [], [], [], [], [], [])
    for one in batch:
        _add(rows, one)
    await conn.executemany(
        """INSERT INTO children (id, nhs_number, given_name, family_name, name_key,
               date_of_birth, postcode, local_authority)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        rows.children,
    )
    await conn.executemany(
        """INSERT INTO referrals (id, child_id, local_authority, requested_by, primary_need,
               postcode_district, received_on, status, secondary_needs, track)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'ehc')""",
        rows.referrals,
    )
    await conn.executemany(
        """INSERT INTO ehc_requests (referral_id, local_authority, requested_on, requested_by,
               escalated, stage, assessment_decision, assessment_decided_on, refusal_reason,
               plan_decision, plan_decided_on, not_issue_reason, draft_issued_on, comments_due)
           VALUES ($1, $2, $3, $4, false, $5, $6, $7, $8, $9, $10, $11, $12, $13)""",
        rows.requests,
    )
    await conn.executemany(
        """INSERT INTO advice_requests (referral_id, kind, local_authority, requested_on, due_on,
               received_on) VALUES ($1, $2, $3, $4, $5, $6)""",
        rows.advice,
    )
    # One statement, not one a row: the caseload's next deadline is kept once a statement for
    # the referrals it inserted deadlines for (migration 0070), not once a deadline.
    await conn.execute(
        """INSERT INTO deadlines (referral_id, kind, local_authority, statutory_due_on, due_on,
               met_on, cancelled)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::date[],
               $6::date[], $7::bool[])""",
        *_columns(rows.deadlines, 7),
    )
    if rows.closed:  # the request is over; the support it started goes on (as ehc_repository)
        await conn.execute(
            """UPDATE referrals SET closed_at = coalesce(closed_at, now()), updated_at = now()
               WHERE id = ANY($1::uuid[])""",
            rows.closed,
        )
    await conn.executemany(
        """INSERT INTO open_requests (referral_id, local_authority, case_id, fingerprint)
           VALUES ($1, $2, $3, $4)""",
        rows.open_requests,
    )


def _columns(rows: list[tuple[object, ...]], width: int) -> list[list[object]]:
    """Rows as columns, for ``unnest`` (an empty file: empty columns)."""
    return [[row[i] for row in rows] for i in range(width)]


def _add(rows: _Rows, one: OpenRequest) -> None:
    row, request = one.row, one.request
    rid, council, child = request.referral_id, row.local_authority, row.child
    child_id = one.child_id
    if child_id is None:
        child_id = uuid4()
        rows.children.append(
            (child_id, child.nhs_number, child.given_name, child.family_name,
             name_key(child.given_name, child.family_name), child.date_of_birth,
             str(child.postcode), council)
        )  # fmt: skip
    needs = [n.value for n in row.needs]
    rows.referrals.append(
        (rid, child_id, council, row.requested_by, needs[0], child.postcode.district,
         row.received_on, Step.RECEIVED.value, needs[1:])
    )  # fmt: skip
    rows.requests.append(
        (rid, council, request.requested_on, request.requested_by, request.stage.value,
         row.assessment_decision, row.assessment_decided_on, row.refusal_reason,
         row.plan_decision, row.plan_decided_on, row.not_issue_reason,
         request.draft_issued_on, request.comments_due)
    )  # fmt: skip
    clock = _steps_taken(rows, one)
    rows.deadlines += [
        (rid, kind, council, limit.statutory_due_on, limit.due_on, limit.met_on, limit.cancelled)
        for kind, limit in clock.limits.items()
    ]
    if request.stage in CLOSED:
        rows.closed.append(rid)
    rows.open_requests.append((rid, council, row.case_id, row.fingerprint()))


def _steps_taken(rows: _Rows, one: OpenRequest) -> _Clock:
    """The deadlines the clock set on the day received, then each step's effect in the order
    the steps' routes take them; the advice rows on the way."""
    row, rid, council = one.row, one.request.referral_id, one.row.local_authority
    clock = _Clock()
    for deadline, (statutory, due) in deadline_dates(one.request.requested_on, ()).items():
        clock.limits[deadline.value] = _Limit(statutory, due)
    if row.assessment_decided_on is not None:
        clock.meet([Deadline.DECISION.value], row.assessment_decided_on)
    if row.assessment_decision == "refuse":
        clock.cancel([Deadline.ISSUE_DECISION, Deadline.DRAFT_PLAN, Deadline.FINAL_PLAN])
    received = {e.kind: e.received_on for e in one.events if isinstance(e, AdviceReceived)}
    for asked in (e for e in one.events if isinstance(e, AdviceRequested)):
        for kind in asked.kinds:
            rows.advice.append(
                (rid, str(kind), council, asked.requested_on, asked.due_on, received.get(kind))
            )
            # Reg 8's 6 weeks bind the bodies asked, never the family (as add_advice).
            if kind != AdviceKind.PARENT:
                clock.limits[ADVICE + kind] = _Limit(asked.due_on, asked.due_on)
    for kind, on in received.items():
        clock.meet([ADVICE + kind], on)
    if row.plan_decided_on is not None:
        clock.meet([Deadline.ISSUE_DECISION.value], row.plan_decided_on)
    if row.plan_decision == "not_issue":
        clock.cancel([Deadline.DRAFT_PLAN, Deadline.FINAL_PLAN])
    if one.request.draft_issued_on is not None:
        clock.meet([Deadline.DRAFT_PLAN.value], one.request.draft_issued_on)
    return clock
