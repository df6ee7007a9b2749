"""Bringing a file of live plans in, in the caller's unit of work: every row checked against
the file and the database first, then all stored or none. A row brought in before (the same
council and case id, the same details) is left as it is; one with other details is refused
(change a plan in the platform, not by importing it again). Each plan becomes a referral on
the EHC track with its child (known by NHS number with the same details: the same child), its
statutory record (``live_plans``), its next annual review as the caseload's deadline, and a
step on the timeline; its events (the plan, the family's contact) go out with the commit, and
the plan's audit row comes from its event (``import``, ``live-plan``).

Batched (a statement per table for the whole file), so 5,000 plans take seconds, and one import
at a time per council (an advisory lock): two at once cannot both bring in one case id.

(Longer than most modules: the file's checks and the one pass that builds every table's rows,
the plan's reviews and phase transfer included, read best together.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID, uuid4

from referrals.domain import StatutoryStep, Step, age_on, contact_registered, phase_of
from referrals.intake import IntakeRules, name_key
from referrals.live import against_database, phase_transfer_store, review_store
from referrals.live.annual_review import ReviewDeadline
from referrals.live.import_file import Location, Place, Problem
from referrals.live.phase_transfer import PhaseTransfer, next_transfer
from referrals.live.phase_transfer_store import SetBy
from referrals.live.plan_row import LivePlanIn, rule_problems
from referrals.schemas import Child
from shared.db import Connection
from shared.events import ChildIdentified, DomainEvent, LivePlanImported

REVIEW_DEADLINE = ReviewDeadline.MEETING.value
"""The caseload's name for the next annual review's date (``referrals.next_deadline``, which
the review's deadline row keeps from then on)."""


class Rejected(Exception):
    """Nothing was stored: every problem, each at its place in the file."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class Imported:
    """What an import did: the plans brought in now (their referral ids, by case id) and the
    case ids brought in before with the same details (left as they were)."""

    added: dict[str, UUID] = field(default_factory=dict)
    unchanged: dict[str, UUID] = field(default_factory=dict)
    events: list[tuple[DomainEvent, str]] = field(default_factory=list)
    """Each event and its council (the contact's event names none itself)."""


async def bring_in(
    conn: Connection,
    rows: list[tuple[Place, LivePlanIn]],
    problems: list[Problem],
    *,
    rules: IntakeRules,
    acting_for: tuple[str, ...],
    today: date,
) -> Imported:
    """Store every row of the file (well-formed ``rows``; ``problems``: those that were not),
    or raise ``Rejected`` with every problem found (the caller's transaction rolls back)."""
    if not conn.is_in_transaction():
        raise RuntimeError("bring_in runs inside the unit of work (all or nothing)")
    problems = list(problems)
    for place, plan in rows:
        problems += [(place.at(f), why) for f, why in rule_problems(plan, rules, today)]
        if plan.local_authority not in acting_for:
            problems.append((place.at(("local_authority",)), "not a council you work for"))
    problems += _repeated_in_file(rows)
    councils = sorted({p.local_authority for _, p in rows if p.local_authority in acting_for})
    for council in councils:
        await conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"live-plans|{council}"
        )
    done = Imported()
    new: list[tuple[Place, LivePlanIn]] = []
    before = await against_database.brought_in_before(conn, rows)
    for place, plan in rows:
        found = before.get((plan.local_authority, plan.case_id))
        if found is None:
            new.append((place, plan))
        elif found[1] == plan.fingerprint():
            done.unchanged[plan.case_id] = found[0]
        else:
            problems.append(
                (place.at(("case_id",)), f"brought in before with other details ({found[0]})")
            )
    children, known = await against_database.known_children(conn, new)
    problems += known
    if problems:
        raise Rejected(sorted(problems, key=_order))
    await _store(conn, new, children, today, done)
    return done


def _order(problem: Problem) -> tuple[int, str]:
    where = problem[0]
    first = where[0]
    number = where[1] if first == "plans" else int(str(first).removeprefix("line "))
    return int(number), str(where)


def identified(referral_id: UUID, child: Child) -> ChildIdentified:
    """The child's name and date of birth for the plan plans holds (it names the child, as
    an intake's plan does): on its own topic, which only plans reads."""
    return ChildIdentified(
        referral_id=referral_id, given_name=child.given_name, family_name=child.family_name,
        date_of_birth=child.date_of_birth,
    )  # fmt: skip


def _repeated_in_file(rows: list[tuple[Place, LivePlanIn]]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[tuple[str, str], Location] = {}
    for place, plan in rows:
        keys: list[tuple[tuple[str, ...], str]] = [(("case_id",), plan.case_id)]
        if plan.child.nhs_number:
            keys.append((("child", "nhs_number"), plan.child.nhs_number))
        for where, value in keys:
            first = seen.setdefault((f"{plan.local_authority}|{where}", value), place.at(where))
            if first != place.at(where):
                problems.append((place.at(where), f"repeats {first[0]} {first[1]}"))
    return problems


async def _store(
    conn: Connection,
    new: list[tuple[Place, LivePlanIn]],
    known: dict[str, UUID],
    today: date,
    done: Imported,
) -> None:
    child_rows, referral_rows, plan_rows, step_rows = [], [], [], []
    transfer_rows: list[tuple[UUID, str, PhaseTransfer, SetBy]] = []
    for _, plan in new:
        child, referral_id = plan.child, uuid4()
        child_id = known.get(plan.case_id)
        if child_id is None:
            child_id = uuid4()
            child_rows.append(
                (child_id, child.nhs_number, child.given_name, child.family_name,
                 name_key(child.given_name, child.family_name), child.date_of_birth,
                 str(child.postcode), plan.local_authority)
            )  # fmt: skip
        needs = [n.value for n in plan.needs]
        referral_rows.append(
            (referral_id, child_id, plan.local_authority, "council", needs[0],
             child.postcode.district, plan.issued_on, Step.RECEIVED.value, needs[1:],
             plan.setting_urn, REVIEW_DEADLINE, plan.review_due)
        )  # fmt: skip
        plan_rows.append(
            (referral_id, plan.local_authority, plan.case_id, plan.fingerprint(), plan.issued_on,
             plan.last_reviewed_on, plan.review_due, needs, plan.setting_urn, plan.setting_ukprn)
        )  # fmt: skip
        step_rows.append((referral_id, uuid4(), StatutoryStep.LIVE_PLAN_IMPORTED.value))
        done.added[plan.case_id] = referral_id
        born = child.date_of_birth
        imported = LivePlanImported(
            referral_id=referral_id,
            local_authority=plan.local_authority,
            issued_on=plan.issued_on,
            last_reviewed_on=plan.last_reviewed_on,
            review_due=plan.review_due,
            needs=list(plan.needs),
            setting_urn=plan.setting_urn,
            setting_ukprn=plan.setting_ukprn,
            phase=phase_of(born, today),
            age_years=min(age_on(born, today), 25),
        )
        contact = contact_registered(referral_id, plan.family_contact)
        done.events += [(imported, plan.local_authority), (contact, plan.local_authority)]
        done.events.append((identified(referral_id, child), plan.local_authority))
        transfer = _transfer_of(plan, today)
        if transfer is not None:
            set_by: SetBy = "date_of_birth" if plan.phase_transfer is None else "import"
            transfer_rows.append((referral_id, plan.local_authority, transfer, set_by))
            step_rows.append((referral_id, uuid4(), StatutoryStep.PHASE_TRANSFER_SET.value))
    await conn.executemany(
        """INSERT INTO children (id, nhs_number, given_name, family_name, name_key,
               date_of_birth, postcode, local_authority)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        child_rows,
    )
    # received_on: the day the plan was issued, the earliest day the platform knows of; the
    # requester is the council itself (the original request's is in its earlier system).
    await conn.executemany(
        """INSERT INTO referrals (id, child_id, local_authority, requested_by, primary_need,
               postcode_district, received_on, status, secondary_needs, school_urn, track,
               next_deadline, next_due_on)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'ehc', $11, $12)""",
        referral_rows,
    )
    await conn.executemany(
        """INSERT INTO live_plans (referral_id, local_authority, case_id, fingerprint, issued_on,
               last_reviewed_on, review_due_on, needs, setting_urn, setting_ukprn)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        plan_rows,
    )
    await review_store.schedule(
        conn, [(row[0], row[1], row[6]) for row in plan_rows]
    )  # the annual review, with its meeting's deadline: the scheduler opens it
    meetings = [
        (row[0], plan.review_meeting_on)
        for row, (_, plan) in zip(plan_rows, new, strict=True)
        if plan.review_meeting_on is not None
    ]
    await review_store.under_way(conn, meetings, today)
    done.events += [
        (event, event.local_authority)
        for event in await phase_transfer_store.add_many(conn, transfer_rows)
    ]
    await conn.executemany(
        """INSERT INTO timeline (referral_id, event_id, step, service, occurred_at)
           VALUES ($1, $2, $3, 'referrals', now())""",
        step_rows,
    )


def _transfer_of(plan: LivePlanIn, today: date) -> PhaseTransfer | None:
    """The plan's next transfer: as brought in, or worked out from the date of birth."""
    given = plan.phase_transfer
    if given is not None:
        return PhaseTransfer(given.kind, given.year)
    return next_transfer(plan.child.date_of_birth, today)
