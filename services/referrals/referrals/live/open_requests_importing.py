"""Bringing a file of open requests in, in the caller's unit of work: every row checked against
the file, the statutory process and the database first, then all stored or none. As for plans
(``referrals.live.importing``): a row brought in before with the same details is left as it
is, one with other details is refused, one import per council at a time (the same advisory
lock), the child checked as the plans import checks it (``against_database``). Each request
becomes a referral on the EHC track with its ``ehc_requests`` row at the stage its steps left
it, the deadlines the clock gives from ``received_on`` (met or cancelled by the steps taken, as
the steps' own routes do), its advice requests, a timeline entry per step, and the steps'
events flagged ``earlier_system`` (audited from their events; no messages for them).

(Longer than most modules: the file's checks and the one pass that stores each request's
tables, as the steps' routes store them, read best together.)"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from uuid import UUID, uuid4

from referrals import ehc_repository
from referrals.domain import Step, age_on, contact_registered, phase_of
from referrals.ehc_api import STEP_OF
from referrals.intake import IntakeRules, name_key
from referrals.live import against_database
from referrals.live.importing import Rejected, identified
from referrals.live.open_request_file import Place
from referrals.live.open_request_row import OpenRequestIn, Replayed, check
from referrals.statutory import Deadline, EhcRequest
from shared.db import Connection
from shared.events import (
    AdviceReceived,
    AdviceRequested,
    DomainEvent,
    EhcAssessmentRequested,
    ImportedAdvice,
    OpenRequestImported,
)

Problem = tuple[tuple[str | int, ...], str]


@dataclass
class Imported:
    """What an import did: the requests brought in now and those brought in before with the
    same details (their referral ids, by case id), and each event with its council."""

    added: dict[str, UUID] = field(default_factory=dict)
    unchanged: dict[str, UUID] = field(default_factory=dict)
    events: list[tuple[DomainEvent, str]] = field(default_factory=list)


async def bring_in(
    conn: Connection,
    rows: list[tuple[Place, OpenRequestIn]],
    problems: list[Problem],
    *,
    rules: IntakeRules,
    acting_for: tuple[str, ...],
    today: date,
) -> Imported:
    """Store every row, or raise ``Rejected`` with every problem (the caller rolls back)."""
    if not conn.is_in_transaction():
        raise RuntimeError("bring_in runs inside the unit of work (all or nothing)")
    problems = list(problems)
    replayed: dict[tuple[str, str], Replayed] = {}
    for place, row in rows:
        checked = check(row, uuid4(), rules, today)
        if isinstance(checked, Replayed):
            replayed[(row.local_authority, row.case_id)] = checked
        else:
            problems += [(place.at(f), why) for f, why in checked]
        if row.local_authority not in acting_for:
            problems.append((place.at(("local_authority",)), "not a council you work for"))
    problems += _repeated_in_file(rows)
    for council in sorted({r.local_authority for _, r in rows if r.local_authority in acting_for}):
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"live-plans|{council}"
        )
    done = Imported()
    new: list[tuple[Place, OpenRequestIn]] = []
    before = await _brought_in_before(conn, rows)
    for place, row in rows:
        found = before.get((row.local_authority, row.case_id))
        if found is None:
            new.append((place, row))
        elif found[1] == row.fingerprint():
            done.unchanged[row.case_id] = found[0]
        else:
            problems.append(
                (place.at(("case_id",)), f"brought in before with other details ({found[0]})")
            )
    children, known = await against_database.known_children(conn, new)
    problems += known
    if problems:
        raise Rejected(sorted(problems, key=lambda p: (_number(p[0]), str(p[0]))))
    timeline: list[tuple[UUID, UUID, str]] = []
    for _, row in new:
        child_id = children.get(row.case_id)
        steps = replayed[(row.local_authority, row.case_id)]
        timeline += await _store(conn, row, steps, child_id, done)
    # Every step's timeline entry in one statement (as the plans import writes its own): the
    # referrals are new, so no other writer of their timeline waits for their lock.
    await conn.executemany(
        """INSERT INTO timeline (referral_id, event_id, step, service, occurred_at, detail)
           VALUES ($1, $2, $3, 'referrals', now(), 'earlier system')""",
        timeline,
    )
    return done


def _number(where: tuple[str | int, ...]) -> int:
    first = where[0]
    return int(where[1]) if first == "requests" else int(str(first).removeprefix("line "))


def _repeated_in_file(rows: list[tuple[Place, OpenRequestIn]]) -> list[Problem]:
    """A case id, or a child's NHS number, given twice for one council in the file."""
    problems: list[Problem] = []
    seen: dict[tuple[str, tuple[str, ...], str], Place] = {}
    for place, row in rows:
        keys: list[tuple[tuple[str, ...], str]] = [(("case_id",), row.case_id)]
        if row.child.nhs_number:
            keys.append((("child", "nhs_number"), row.child.nhs_number))
        for field_, value in keys:
            first = seen.setdefault((row.local_authority, field_, value), place)
            if first != place:
                where = first.at(field_)
                problems.append((place.at(field_), f"repeats {where[0]} {where[1]}"))
    return problems


async def _brought_in_before(
    conn: Connection, rows: list[tuple[Place, OpenRequestIn]]
) -> dict[tuple[str, str], tuple[UUID, str]]:
    found = await conn.fetch(
        """SELECT o.local_authority, o.case_id, o.referral_id, o.fingerprint
           FROM open_requests o
           JOIN unnest($1::text[], $2::text[]) AS f(council, case_id)
             ON o.local_authority = f.council AND o.case_id = f.case_id""",
        [r.local_authority for _, r in rows],
        [r.case_id for _, r in rows],
    )
    return {
        (r["local_authority"], r["case_id"]): (r["referral_id"], r["fingerprint"]) for r in found
    }


async def _store(
    conn: Connection,
    row: OpenRequestIn,
    replayed: Replayed,
    child_id: UUID | None,
    done: Imported,
) -> list[tuple[UUID, UUID, str]]:
    """One request as its steps leave it, stored as the steps' own routes store it; its
    timeline entries (referral, entry, step) to write with the others'."""
    referral_id, child = uuid4(), row.child
    if child_id is None:
        child_id = uuid4()
        await conn.execute(
            """INSERT INTO children (id, nhs_number, given_name, family_name, name_key,
                   date_of_birth, postcode, local_authority)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
            child_id, child.nhs_number, child.given_name, child.family_name,
            name_key(child.given_name, child.family_name), child.date_of_birth,
            str(child.postcode), row.local_authority,
        )  # fmt: skip
    needs = [n.value for n in row.needs]
    await conn.execute(
        """INSERT INTO referrals (id, child_id, local_authority, requested_by, primary_need,
               postcode_district, received_on, status, secondary_needs, track)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'ehc')""",
        referral_id, child_id, row.local_authority, row.requested_by, needs[0],
        child.postcode.district, row.received_on, Step.RECEIVED.value, needs[1:],
    )  # fmt: skip
    request = replace(replayed.request, referral_id=referral_id)
    await ehc_repository.start(conn, _as_received(request))
    await _steps_taken(conn, row, request, replayed.events)
    await conn.execute(
        """INSERT INTO open_requests (referral_id, local_authority, case_id, fingerprint)
           VALUES ($1, $2, $3, $4)""",
        referral_id, row.local_authority, row.case_id, row.fingerprint(),
    )  # fmt: skip
    # First of the request's events: what plans holds the request's plan from.
    done.events.append((_for_plans(row, request, replayed.events), row.local_authority))
    done.events.append((identified(referral_id, child), row.local_authority))
    steps = []
    for event in replayed.events:
        event = event.model_copy(update={"referral_id": referral_id})
        steps.append((referral_id, uuid4(), STEP_OF[type(event)].value))
        done.events.append((event, row.local_authority))
    contact = contact_registered(referral_id, row.family_contact)
    done.events.append((contact, row.local_authority))
    done.added[row.case_id] = referral_id
    return steps


def _for_plans(
    row: OpenRequestIn, request: EhcRequest, events: list[DomainEvent]
) -> OpenRequestImported:
    """The request as plans needs it (codes and dates): the clock's dates from its first
    step, the advice received, the decision to issue and the draft as the steps left them."""
    started = next(e for e in events if isinstance(e, EhcAssessmentRequested))
    born = row.child.date_of_birth
    return OpenRequestImported(
        referral_id=request.referral_id,
        local_authority=row.local_authority,
        received_on=row.received_on,
        requested_by=row.requested_by,
        needs=list(row.needs),
        postcode_district=row.child.postcode.district,
        decision_due=started.decision_due,
        final_plan_due=started.final_plan_due,
        phase=phase_of(born, row.received_on),
        age_years=age_on(born, row.received_on),
        advice_received=[
            ImportedAdvice(kind=e.kind, received_on=e.received_on)
            for e in events
            if isinstance(e, AdviceReceived)
        ],
        plan_decision=row.plan_decision,
        plan_decided_on=row.plan_decided_on,
        draft_issued_on=request.draft_issued_on,
        comments_due=request.comments_due,
    )


def _as_received(request: EhcRequest) -> EhcRequest:
    """The request as it was the day the council received it: its clock starts."""
    return EhcRequest(
        referral_id=request.referral_id,
        local_authority=request.local_authority,
        requested_on=request.requested_on,
        requested_by=request.requested_by,
        escalated=False,
    )


async def _steps_taken(
    conn: Connection, row: OpenRequestIn, request: EhcRequest, events: list[DomainEvent]
) -> None:
    """The steps' columns, advice and deadlines met or cancelled, as each step's route does."""
    rid = request.referral_id
    await ehc_repository.update(
        conn, request,
        assessment_decision=row.assessment_decision,
        assessment_decided_on=row.assessment_decided_on,
        refusal_reason=row.refusal_reason,
        plan_decision=row.plan_decision,
        plan_decided_on=row.plan_decided_on,
        not_issue_reason=row.not_issue_reason,
        draft_issued_on=request.draft_issued_on,
        comments_due=request.comments_due,
    )  # fmt: skip
    if row.assessment_decided_on is not None:
        await ehc_repository.meet(conn, rid, [Deadline.DECISION], row.assessment_decided_on)
    if row.assessment_decision == "refuse":
        later = [Deadline.ISSUE_DECISION, Deadline.DRAFT_PLAN, Deadline.FINAL_PLAN]
        await ehc_repository.cancel(conn, rid, later)
    for asked in (e for e in events if isinstance(e, AdviceRequested)):
        await ehc_repository.add_advice(
            conn, request, asked.kinds, asked.requested_on, asked.due_on
        )
    received = [e for e in events if isinstance(e, AdviceReceived)]
    if received:  # all on the row's one day
        kinds = [e.kind for e in received]
        await ehc_repository.receive_all_advice(conn, rid, kinds, received[0].received_on)
    if row.plan_decided_on is not None:
        await ehc_repository.meet(conn, rid, [Deadline.ISSUE_DECISION], row.plan_decided_on)
    if row.plan_decision == "not_issue":
        await ehc_repository.cancel(conn, rid, [Deadline.DRAFT_PLAN, Deadline.FINAL_PLAN])
    if request.draft_issued_on is not None:
        await ehc_repository.meet(conn, rid, [Deadline.DRAFT_PLAN], request.draft_issued_on)
