"""Bringing a file of open requests in, in the caller's unit of work: every row checked against
the file, the statutory process and the database first, then all stored or none. As for plans
(``referrals.live.importing``): a row brought in before with the same details is left as it
is, one with other details is refused, one import per council at a time (the same advisory
lock), the child checked as the plans import checks it (``against_database``). Each request
becomes a referral on the EHC track with its ``ehc_requests`` row at the stage its steps left
it, the deadlines the clock gives from ``received_on`` (met or cancelled by the steps taken, as
the steps' own routes do), its advice requests, a timeline entry per step, and the steps'
events flagged ``earlier_system`` (audited from their events; no messages for them). Batched
as the plans import is: every request's rows in a statement a table for the whole file
(``open_request_store``), so a council's 5,000 take seconds.

(Longer than most modules: the file's checks and the pass that gives each request its
referral and its events, in the order they go out, read best together.)"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from uuid import UUID, uuid4

from referrals.domain import age_on, contact_registered, phase_of
from referrals.ehc_api import STEP_OF
from referrals.intake import IntakeRules
from referrals.live import against_database, open_request_store
from referrals.live.importing import Rejected, identified
from referrals.live.open_request_file import Place
from referrals.live.open_request_row import OpenRequestIn, Replayed, check
from referrals.live.open_request_store import OpenRequest
from referrals.statutory import EhcRequest
from shared.db import Connection
from shared.events import (
    AdviceReceived,
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
    batch: list[OpenRequest] = []
    timeline: list[tuple[UUID, UUID, str]] = []
    for _, row in new:
        steps = replayed[(row.local_authority, row.case_id)]
        one = _announce(row, steps, children.get(row.case_id), done)
        batch.append(one)
        timeline += [(one.request.referral_id, uuid4(), STEP_OF[type(e)].value) for e in one.events]
    await open_request_store.store(conn, batch)
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


def _announce(
    row: OpenRequestIn, replayed: Replayed, child_id: UUID | None, done: Imported
) -> OpenRequest:
    """One request's new referral id and its events, in the order they go out; the request to
    store with the others (``open_request_store``)."""
    referral_id = uuid4()
    request = replace(replayed.request, referral_id=referral_id)
    # First of the request's events: what plans holds the request's plan from.
    done.events.append((_for_plans(row, request, replayed.events), row.local_authority))
    done.events.append((identified(referral_id, row.child), row.local_authority))
    events = [e.model_copy(update={"referral_id": referral_id}) for e in replayed.events]
    done.events += [(event, row.local_authority) for event in events]
    contact = contact_registered(referral_id, row.family_contact)
    done.events.append((contact, row.local_authority))
    done.added[row.case_id] = referral_id
    return OpenRequest(row, request, events, child_id)


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
