"""SQL for EHC requests, their deadlines, exceptions and advice.

(Longer than most modules: one short SQL function per query the statutory steps make.)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from referrals import repository
from referrals.statutory import (
    CLOSED,
    AdviceKind,
    Deadline,
    EhcRequest,
    Needs,
    Stage,
    StatutoryException,
)
from shared.db import Connection
from shared.events import Sen2Need

ADVICE = "advice:"  # an advice deadline's kind: advice:<kind of advice>


async def start(conn: Connection, request: EhcRequest) -> None:
    """Store a new EHC request, put its referral on the ehc track, set its deadlines."""
    await conn.execute(
        """INSERT INTO ehc_requests (referral_id, local_authority, requested_on, requested_by,
               escalated, stage) VALUES ($1, $2, $3, $4, $5, $6)""",
        request.referral_id,
        request.local_authority,
        request.requested_on,
        request.requested_by,
        request.escalated,
        request.stage.value,
    )
    await conn.execute("UPDATE referrals SET track = 'ehc' WHERE id = $1", request.referral_id)
    await conn.executemany(
        """INSERT INTO deadlines (referral_id, kind, local_authority, statutory_due_on, due_on)
           VALUES ($1, $2, $3, $4, $5)""",
        [
            (request.referral_id, kind.value, request.local_authority, statutory, due)
            for kind, (statutory, due) in request.clock.items()
        ],
    )


async def load(conn: Connection, referral_id: UUID) -> tuple[EhcRequest, Needs] | None:
    """The EHC request, locked until the transaction ends, and the child's needs (the primary
    first, then the others: the advice the law requires depends on each).
    The referral is locked first, as every writer of its timeline does (the scheduler skips
    referrals locked so), so a step and the scheduler never deadlock."""
    row = await conn.fetchrow(
        """SELECT e.*, r.primary_need, r.secondary_needs, c.date_of_birth
           FROM ehc_requests e JOIN referrals r ON r.id = e.referral_id
           JOIN children c ON c.id = r.child_id
           WHERE e.referral_id = $1 FOR UPDATE OF r, e""",
        referral_id,
    )
    if row is None:
        return None
    exceptions = await conn.fetch(
        """SELECT kind, starts_on, ends_on FROM statutory_exceptions
           WHERE referral_id = $1 ORDER BY recorded_at""",
        referral_id,
    )
    request = _request(row, tuple(StatutoryException(**dict(e)) for e in exceptions))
    needs = (row["primary_need"], *row["secondary_needs"])  # none while it waits for triage
    return request, tuple(Sen2Need(n) for n in needs if n is not None)


def _request(row: Any, exceptions: tuple[StatutoryException, ...] = ()) -> EhcRequest:
    return EhcRequest(
        referral_id=row["referral_id"],
        local_authority=row["local_authority"],
        requested_on=row["requested_on"],
        requested_by=row["requested_by"],
        escalated=row["escalated"],
        stage=Stage(row["stage"]),
        assessment_decided_on=row["assessment_decided_on"],
        plan_decided_on=row["plan_decided_on"],
        draft_issued_on=row["draft_issued_on"],
        comments_due=row["comments_due"],
        final_issued_on=row["final_issued_on"],
        exceptions=exceptions,
        mediation_asked_on=row["mediation_asked_on"],
        mediation_certificate_on=row["mediation_certificate_on"],
        born=row.get("date_of_birth"),
    )


async def update(conn: Connection, request: EhcRequest, **columns: Any) -> None:
    """Store the request's new stage and the step's columns; close the referral at the end."""
    names = ["stage", *columns]
    assignments = ", ".join(f"{name} = ${i + 2}" for i, name in enumerate(names))
    await conn.execute(
        f"UPDATE ehc_requests SET {assignments}, updated_at = now() WHERE referral_id = $1",
        request.referral_id,
        request.stage.value,
        *columns.values(),
    )
    if request.stage in CLOSED:  # the request is over; the support it started goes on
        await repository.close(conn, request.referral_id, support_ended=False)


async def record_mediation(conn: Connection, request: EhcRequest) -> None:
    """Store the request's mediation dates (the request's stage and its closing are not
    touched: mediation follows a decision that ended it)."""
    await conn.execute(
        """UPDATE ehc_requests SET mediation_asked_on = $2, mediation_certificate_on = $3,
               updated_at = now() WHERE referral_id = $1""",
        request.referral_id,
        request.mediation_asked_on,
        request.mediation_certificate_on,
    )


async def name_school(conn: Connection, referral_id: UUID, school_urn: str) -> None:
    """The school the final plan names (section I)."""
    await conn.execute(
        "UPDATE ehc_requests SET named_school_urn = $2 WHERE referral_id = $1",
        referral_id,
        school_urn,
    )


async def school_of(conn: Connection, referral_id: UUID) -> str | None:
    """The school told of a step: the one the final plan names, else the child's (intake)."""
    urn: str | None = await conn.fetchval(
        """SELECT coalesce(e.named_school_urn, r.school_urn) FROM referrals r
           LEFT JOIN ehc_requests e ON e.referral_id = r.id WHERE r.id = $1""",
        referral_id,
    )
    return urn


async def meet(conn: Connection, referral_id: UUID, kinds: Iterable[str], on: date) -> None:
    await conn.execute(
        """UPDATE deadlines SET met_on = $3
           WHERE referral_id = $1 AND kind = ANY($2) AND met_on IS NULL AND NOT cancelled""",
        referral_id,
        list(kinds),
        on,
    )


async def cancel(conn: Connection, referral_id: UUID, kinds: Iterable[Deadline]) -> None:
    """Deadlines that no longer apply (no assessment, no plan): never warned about again."""
    await conn.execute(
        """UPDATE deadlines SET cancelled = true
           WHERE referral_id = $1 AND kind = ANY($2) AND met_on IS NULL""",
        referral_id,
        [k.value for k in kinds],
    )


async def advice_requested(conn: Connection, referral_id: UUID) -> dict[str, date]:
    """Each kind of advice asked for, and when."""
    rows = await conn.fetch(
        "SELECT kind, requested_on FROM advice_requests WHERE referral_id = $1", referral_id
    )
    return {r["kind"]: r["requested_on"] for r in rows}


async def advisers_received(conn: Connection, referral_id: UUID, kind: str) -> date | None:
    """The day the advisers received the request for ``kind`` of advice, when recorded as
    later than its sending: their 6 weeks run from it (Reg 8(1))."""
    received: date | None = await conn.fetchval(
        "SELECT advisers_received_on FROM advice_requests WHERE referral_id = $1 AND kind = $2",
        referral_id,
        kind,
    )
    return received


async def excuse_advice(
    conn: Connection, referral_id: UUID, kind: str, because: str, reason: str
) -> bool:
    """The adviser's 6 weeks excused (Reg 8(2)): no longer watched; False when the advice is
    not awaited (received, or excused already)."""
    result = await conn.execute(
        """UPDATE advice_requests SET excused_because = $3, excused_reason = $4
           WHERE referral_id = $1 AND kind = $2 AND received_on IS NULL
             AND excused_because IS NULL""",
        referral_id,
        kind,
        because,
        reason,
    )
    await conn.execute(
        """UPDATE deadlines SET cancelled = true, excused_because = $3
           WHERE referral_id = $1 AND kind = $2 AND met_on IS NULL""",
        referral_id,
        ADVICE + kind,
        because,
    )
    return result != "UPDATE 0"


async def advice_sought(conn: Connection, referral_id: UUID) -> set[str]:
    """Each kind of advice sought: asked for, or existing advice agreed (Reg 6(4))."""
    rows = await conn.fetch(
        """SELECT kind FROM advice_requests WHERE referral_id = $1
           UNION SELECT kind FROM existing_advice WHERE referral_id = $1""",
        referral_id,
    )
    return {r["kind"] for r in rows}


async def add_existing_advice(
    conn: Connection, request: EhcRequest, event: Any, details: dict[str, Any], by: str
) -> None:
    """Existing advice agreed (``event``: ``ExistingAdviceAgreed``), with what it is and who
    agreed (``details``), recorded by the council's officer ``by``."""
    await conn.execute(
        """INSERT INTO existing_advice (referral_id, kind, local_authority, description,
               advice_dated, given_by, family_agreed_by, agreed_on, recorded_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        request.referral_id,
        event.kind,
        request.local_authority,
        details["description"],
        event.advice_dated,
        details["given_by"],
        details["family_agreed_by"],
        event.agreed_on,
        by,
    )


async def add_family_ask(
    conn: Connection, request: EhcRequest, ask: dict[str, Any], by: str
) -> None:
    """Advice the family asked the council to seek (Reg 6(1)(h)): ``ask`` is what, from
    whom, when, and the council's decision (``seek``, or ``refuse`` with its reason)."""
    await conn.execute(
        """INSERT INTO family_advice_asks (id, referral_id, local_authority, asked_on, advice,
               asked_of, decision, refusal_reason, recorded_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        uuid4(),
        request.referral_id,
        request.local_authority,
        ask["asked_on"],
        ask["advice"],
        ask["asked_of"],
        ask["decision"],
        ask["reason"],
        by,
    )


async def family_asked(conn: Connection, referral_id: UUID) -> bool:
    """Whether the family asked for advice the council agreed to seek (Reg 6(1)(h)): advice
    of kind ``asked_for_by_family`` must then be sought before the decision to issue."""
    found: bool = await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM family_advice_asks
                          WHERE referral_id = $1 AND decision = 'seek')""",
        referral_id,
    )
    return found


async def add_advice(
    conn: Connection,
    request: EhcRequest,
    kinds: list[str],
    requested_on: date,
    due: date,
    advisers_received_on: date | None = None,
) -> None:
    await conn.executemany(
        """INSERT INTO advice_requests (referral_id, kind, local_authority, requested_on, due_on,
               advisers_received_on) VALUES ($1, $2, $3, $4, $5, $6)""",
        [
            (request.referral_id, k, request.local_authority, requested_on, due, received)
            for k in kinds
            for received in [advisers_received_on]
        ],
    )
    # Reg 8's 6 weeks bind the bodies asked for advice, never the family: their own advice
    # (Reg 6(1)(a)) has no deadline to warn about.
    await conn.executemany(
        """INSERT INTO deadlines (referral_id, kind, local_authority, statutory_due_on, due_on)
           VALUES ($1, $2, $3, $4, $4)""",
        [
            (request.referral_id, ADVICE + k, request.local_authority, due)
            for k in kinds
            if k != AdviceKind.PARENT
        ],
    )


async def receive_advice(conn: Connection, referral_id: UUID, kind: str, on: date) -> bool:
    """Record the advice; False when it was already received."""
    result = await conn.execute(
        """UPDATE advice_requests SET received_on = $3
           WHERE referral_id = $1 AND kind = $2 AND received_on IS NULL""",
        referral_id,
        kind,
        on,
    )
    await meet(conn, referral_id, [ADVICE + kind], on)
    return result != "UPDATE 0"


async def add_exception(
    conn: Connection, request: EhcRequest, exception: StatutoryException, reason: str, by: str
) -> dict[str, date]:
    """Record the exception and move the open statutory deadlines; returns their dates now.
    A deadline that moves is a new deadline: its at-risk and missed warnings may come again."""
    await conn.execute(
        """INSERT INTO statutory_exceptions (id, referral_id, local_authority, kind, starts_on,
               ends_on, reason, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        uuid4(),
        request.referral_id,
        request.local_authority,
        exception.kind,
        exception.starts_on,
        exception.ends_on,
        reason,
        by,
    )
    moved: dict[str, date] = {}
    for kind, (_, due) in request.clock.items():
        changed = await conn.fetchval(
            """UPDATE deadlines SET due_on = $3,
                   at_risk_sent_on = CASE WHEN due_on = $3 THEN at_risk_sent_on END,
                   missed_sent_on = CASE WHEN due_on = $3 THEN missed_sent_on END
               WHERE referral_id = $1 AND kind = $2 AND met_on IS NULL AND NOT cancelled
               RETURNING due_on""",
            request.referral_id,
            kind.value,
            due,
        )
        if changed is not None:
            moved[kind.value] = changed
    return moved


async def stage_and_appeal(conn: Connection, referral_id: UUID) -> tuple[str, date | None] | None:
    """The request's stage and, after a decision that can be appealed, its appeal date (the
    family's view: one row, not the deadlines the caseworker's view reads)."""
    row = await conn.fetchrow("SELECT * FROM ehc_requests WHERE referral_id = $1", referral_id)
    return None if row is None else (row["stage"], _request(row).appeal_by)


async def view(conn: Connection, referral_id: UUID, today: date) -> dict[str, Any] | None:
    """The EHC request with its deadlines, exceptions and advice (for ``EhcView``)."""
    row = await conn.fetchrow("SELECT * FROM ehc_requests WHERE referral_id = $1", referral_id)
    if row is None:
        return None
    deadlines = await conn.fetch(
        """SELECT kind, statutory_due_on, due_on, met_on, cancelled, excused_because
           FROM deadlines WHERE referral_id = $1 ORDER BY statutory_due_on, kind""",
        referral_id,
    )
    exceptions = await conn.fetch(
        """SELECT kind, starts_on, ends_on, reason FROM statutory_exceptions
           WHERE referral_id = $1 ORDER BY starts_on""",
        referral_id,
    )
    advice = await conn.fetch(
        """SELECT kind, requested_on, due_on, received_on, advisers_received_on,
                  excused_because FROM advice_requests
           WHERE referral_id = $1 ORDER BY requested_on, kind""",
        referral_id,
    )
    existing = await conn.fetch(
        """SELECT kind, description, advice_dated, given_by, family_agreed_by, agreed_on,
                  recorded_by FROM existing_advice WHERE referral_id = $1 ORDER BY kind""",
        referral_id,
    )
    asks = await conn.fetch(
        """SELECT asked_on, advice, asked_of, decision, refusal_reason, recorded_by
           FROM family_advice_asks WHERE referral_id = $1 ORDER BY recorded_at""",
        referral_id,
    )
    return {
        **dict(row),
        "appeal_by": _request(row).appeal_by,
        "deadlines": [{**dict(d), "state": _state(d, today)} for d in deadlines],
        "exceptions": [dict(e) for e in exceptions],
        "advice": [dict(a) for a in advice],
        "existing_advice": [dict(e) for e in existing],
        "family_advice_asks": [dict(a) for a in asks],
    }


def _state(deadline: Any, today: date) -> str:
    if deadline["excused_because"]:  # an adviser's 6 weeks, excused (Reg 8(2))
        return "excused"
    if deadline["cancelled"]:
        return "cancelled"
    if deadline["met_on"] is not None:
        return "met" if deadline["met_on"] <= deadline["due_on"] else "missed"
    return "missed" if deadline["due_on"] < today else "open"
