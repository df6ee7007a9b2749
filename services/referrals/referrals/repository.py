"""SQL for referrals, children and the timeline.

(Longer than most modules: one short SQL function per query the routes and handlers make.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID, uuid4

import asyncpg

from referrals import batch_rows, batch_timeline
from referrals.domain import NewReferral, Step, TimelineStep, status_after
from referrals.intake import name_key
from shared.db import Connection
from shared.family_links import FamilyLink


class ChildDetailsDiffer(Exception):
    """An NHS number already known here for a child with another name or date of birth
    (``child_id``: that child's record)."""

    def __init__(self, detail: str, child_id: UUID) -> None:
        super().__init__(detail)
        self.child_id = child_id


LOCK_CHILD = """SELECT pg_advisory_xact_lock(hashtextextended(identity, 0))
                FROM unnest($1::text[]) AS identity"""
"""Each of a child's identities locked, in the array's order (``unnest`` returns it so)."""


def child_identities(
    name_key: str, date_of_birth: date, postcode: object, nhs_number: str | None
) -> tuple[str, str]:
    """A child's two identities for intake's locks: by NHS number (by name where it has
    none) and by name, date of birth and postcode. The one rule for a request taken in alone
    (``taking_in``) and a consumed batch's (``batch_intake``): both must lock the same keys."""
    by_name = f"name|{name_key}|{date_of_birth}|{postcode}"
    return (f"nhs|{nhs_number}" if nhs_number else by_name), by_name


def identity_keys(local_authority: str, identities: Iterable[str]) -> list[str]:
    """The advisory locks' keys of ``identities`` in ``local_authority``, sorted: the one
    order every request takes them in."""
    return [f"{local_authority}|{identity}" for identity in sorted(set(identities))]


async def lock_child(conn: Connection, local_authority: str, *identities: str) -> None:
    """Serialise intake for one child (by each of its identities) until the transaction
    ends, so two requests racing for the same child cannot both pass the duplicate check.

    Every request takes them in one order (sorted) and in one statement: a child with an NHS
    number has two identities, which were two round trips of ~15 a referral taken in (issue
    #25). The duplicate check stays a statement of its own, after: a READ COMMITTED
    statement's snapshot is taken when it starts, so one that waited for a lock inside itself
    would not see the rival's referral committed meanwhile."""
    await conn.execute(LOCK_CHILD, identity_keys(local_authority, identities))


OPEN_REFERRAL_FOR = """
    SELECT r.id
    FROM (SELECT id FROM children
          WHERE local_authority = $1 AND nhs_number = $2 AND erased_at IS NULL
          UNION
          SELECT id FROM children
          WHERE local_authority = $1 AND date_of_birth = $4 AND name_key = $3
            AND postcode = $5 AND erased_at IS NULL) AS child
    CROSS JOIN LATERAL (
          SELECT id, created_at FROM referrals
          WHERE child_id = child.id AND local_authority = $1 AND closed_at IS NULL
          ORDER BY created_at LIMIT 1) AS r
    ORDER BY r.created_at LIMIT 1"""
"""An open referral of this council for the same child: ``duplicate_check``."""


async def latest_referral_of_child(conn: Connection, child_id: UUID) -> UUID | None:
    """The child's most recent referral (open or closed)."""
    found: UUID | None = await conn.fetchval(
        "SELECT id FROM referrals WHERE child_id = $1 ORDER BY created_at DESC LIMIT 1", child_id
    )
    return found


async def child_of(conn: Connection, referral_id: UUID) -> asyncpg.Record | None:
    """The child of a referral as duplicates are compared: NHS number, name key, date of
    birth, postcode."""
    return await conn.fetchrow(
        """SELECT c.nhs_number, c.name_key, c.date_of_birth, c.postcode
           FROM referrals r JOIN children c ON c.id = r.child_id WHERE r.id = $1""",
        referral_id,
    )


CHILD_BY_NHS_NUMBER = """SELECT id, name_key, date_of_birth FROM children
                         WHERE local_authority = $1 AND nhs_number = $2"""
"""The council's child with this NHS number: through the unique index, never a scan of the
council's children (migration 0076: it did, on a new database's empty-table statistics)."""


DUPLICATE_CHECK = f"""
    SELECT ({OPEN_REFERRAL_FOR}) AS open_referral, known.id, known.name_key, known.date_of_birth
    FROM (SELECT) AS one LEFT JOIN LATERAL ({CHILD_BY_NHS_NUMBER}) AS known ON true"""
"""The duplicate check and the child known by the NHS number, in one round trip: each its
own subquery, planned as it is alone (``test_referrals_plans_on_fresh_statistics``)."""


@dataclass(frozen=True)
class KnownChild:
    """The council's child with a referral's NHS number, as ``add_referral`` compares it."""

    id: UUID
    name_key: str
    date_of_birth: date


async def duplicate_check(
    conn: Connection,
    local_authority: str,
    *,
    nhs_number: str | None,
    name_key: str,
    date_of_birth: date,
    postcode: str,
) -> tuple[UUID | None, KnownChild | None]:
    """An open referral of this council for the same child (same NHS number, or the same
    name, date of birth and postcode), if there is one; and the child known here by the NHS
    number, if any (for ``add_referral``): one statement, after the child's locks.

    The child is found first, by each of its two identities, and then each child's open
    referrals: the subquery with a ``LIMIT`` cannot be flattened, so no other order can be
    planned. Written as one join with an ``OR``, while the database's statistics were still
    those of its empty tables (a new deployment, every bench run) PostgreSQL read every child
    for every open referral of the council: 134 ms a request at 1,500 referrals in the bench,
    most of PostgreSQL's time taking referrals in (issue #25)."""
    row = await conn.fetchrow(
        DUPLICATE_CHECK,
        local_authority,
        nhs_number,
        name_key,
        date_of_birth,
        postcode,
    )
    assert row is not None  # one row, whatever is found
    known = None
    if row["id"] is not None:
        known = KnownChild(row["id"], row["name_key"], row["date_of_birth"])
    return row["open_referral"], known


REFERRAL_AND_FIRST_STEP = """
    referral AS (
        INSERT INTO referrals (id, child_id, local_authority, requested_by, primary_need,
                               postcode_district, received_on, status, secondary_needs,
                               school_urn, language, assessment_suggested)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        RETURNING id, created_at)
    INSERT INTO timeline (referral_id, event_id, step, service, occurred_at)
    SELECT id, $13, $14, 'referrals', created_at FROM referral
    RETURNING occurred_at"""
"""The referral and its first step (received) on the timeline, when it was recorded: the step
is made of the referral's row as inserted, so the timeline's trigger (its council, migration
0077) finds the row, and the reference to it is checked at the statement's end."""

NEW_CHILD_AND_REFERRAL = f"""
    WITH child AS (
        INSERT INTO children (id, local_authority, postcode, upn, nhs_number, given_name,
                              family_name, name_key, date_of_birth)
        VALUES ($2, $3, $15, $16, $17, $18, $19, $20, $21)),
    {REFERRAL_AND_FIRST_STEP}"""
"""A new child, its referral and the referral's first step, in one statement."""

KNOWN_CHILD_AND_REFERRAL = f"""
    WITH child AS (UPDATE children SET postcode = $15, upn = coalesce($16, upn) WHERE id = $2),
    {REFERRAL_AND_FIRST_STEP}"""
"""A known child's new referral and its first step, in one statement: the family moved since,
so the latest address is the one to use; a UPN given (for the SEN2 return) replaces the one
known."""


async def add_referral(
    conn: Connection,
    referral: NewReferral,
    *,
    known: KnownChild | None,
    nhs_number: str | None,
    given_name: str,
    family_name: str,
    date_of_birth: date,
    upn: str | None,
) -> datetime:
    """Store the referral, and the child unless ``known`` by its NHS number
    (``duplicate_check``) with the same details (never merged with different ones), and the
    referral's first step on the timeline (``Step.RECEIVED``), in one statement; returns when
    it was recorded (and the step occurred)."""
    key = name_key(given_name, family_name)
    if known is not None and (known.name_key, known.date_of_birth) != (key, date_of_birth):
        raise ChildDetailsDiffer(
            "this NHS number belongs to a child known here with another name or date of "
            "birth: check the number and the child's details",
            known.id,
        )
    referral_columns = (
        referral.referral_id,
        uuid4() if known is None else known.id,
        referral.local_authority,
        referral.requested_by,
        referral.primary_need and referral.primary_need.value,
        referral.postcode.district,
        referral.received_on,
        Step.RECEIVED.value,
        [n.value for n in referral.secondary_needs],
        referral.school_urn,
        referral.language,
        referral.assessment_suggested,
        uuid4(),  # the timeline's key for the first step; its event follows
        Step.RECEIVED.value,
    )
    child_columns: tuple[object, ...] = (str(referral.postcode), upn)
    if known is None:
        child_columns += (nhs_number, given_name, family_name, key, date_of_birth)
    created_at: datetime = await conn.fetchval(
        NEW_CHILD_AND_REFERRAL if known is None else KNOWN_CHILD_AND_REFERRAL,
        *referral_columns,
        *child_columns,
    )
    return created_at


async def add_step(
    conn: Connection,
    *,
    referral_id: UUID,
    event_id: UUID,
    step: TimelineStep,
    service: str,
    occurred_at: datetime,
    detail: str | None = None,
) -> list[Step]:
    """Record a step on the timeline; returns every journey step the referral has reached.

    Two statements: the referral is locked first (steps of one referral are recorded one at a
    time), then the step inserted and the journey steps read back. The lock must be its own
    statement: under READ COMMITTED a statement's snapshot is taken when it starts, so a
    statement that waited for the lock would not see the steps the lock's holder committed,
    and two steps recorded at once would each miss the other. (The second statement's final
    SELECT does not see the row its own INSERT adds, hence the UNION with what it returns.)
    """
    _, steps = await _add_step(conn, referral_id, event_id, step, service, occurred_at, detail)
    return steps


async def add_new_referrals_step(
    conn: Connection,
    *,
    referral_id: UUID,
    step: TimelineStep,
    occurred_at: datetime,
    local_authority: str,
) -> None:
    """A step of the referral this transaction has just stored (``taking_in``): no one else
    sees its row before the commit, so no lock and nothing to read back, one plain insert (in
    a consumed batch, with the batch's other steps at its end: ``batch_timeline``). Before,
    the intake's step was two statements, the lock and the insert with its read-back."""
    event_id = uuid4()  # the timeline's key for the step; the event follows
    if await batch_timeline.add_new_referrals_step(
        conn, referral_id=referral_id, event_id=event_id, step=step, service="referrals",
        occurred_at=occurred_at, local_authority=local_authority,
    ):  # fmt: skip
        return
    await conn.execute(
        """INSERT INTO timeline (referral_id, event_id, step, service, occurred_at)
           VALUES ($1, $2, $3, 'referrals', $4)""",
        referral_id,
        event_id,
        step.value,
        occurred_at,
    )


async def add_step_and_status(
    conn: Connection,
    *,
    referral_id: UUID,
    event_id: UUID,
    step: TimelineStep,
    service: str,
    occurred_at: datetime,
    detail: str | None = None,
    local_authority: str | None = None,
) -> list[Step]:
    """``add_step``, then the referral's status the steps leave (``status_after``), written
    only when it changes: the lock reads the status as it stands (a row locked FOR UPDATE is
    read as last committed), and most of a journey's steps (its messages, a second role
    matched) leave it as it was, which cost a statement and a new row version each.

    ``local_authority``: the council a consumed batch's step acts for (its event's): the
    batch's lock of its referrals' rows is then the step's, and its status the one the batch
    remembers (``referrals.batch_rows``), so the step is one statement, or two when the status
    moves. Without it, the referral is locked as ``add_step`` does.

    A step of a consumed batch whose referral the batch holds is written with the batch's
    others at its end (``referrals.batch_timeline``): no statement of its own."""
    if local_authority is not None:
        batched = await batch_timeline.add_step_and_status(
            conn,
            referral_id=referral_id,
            event_id=event_id,
            step=step,
            service=service,
            occurred_at=occurred_at,
            detail=detail,
            local_authority=local_authority,
        )
        if batched is not None:
            return batched
    status, steps = await _add_step(
        conn, referral_id, event_id, step, service, occurred_at, detail, local_authority
    )
    after = status_after(steps)
    if after.value != status:
        await set_status(conn, referral_id, after)
        batch_rows.status_written(conn, referral_id, after.value)
    return steps


STEP_ADDED = """WITH added AS (
                    INSERT INTO timeline (referral_id, event_id, step, service, occurred_at,
                                          detail)
                    VALUES ($1, $2, $3, $4, $5, $6)
                    ON CONFLICT DO NOTHING RETURNING step)
                SELECT array(SELECT step FROM timeline WHERE referral_id = $1 AND step = ANY($7)
                             UNION ALL SELECT step FROM added WHERE step = ANY($7))"""
"""A step written (once: a redelivered event's is not), and the referral's journey steps among
``$7`` with it. The timeline's policy asks each step's own council (migration 0077): asked
whether the step's referral was visible, a plan made on a new database's empty-table statistics
hashed every referral, each time."""


async def _add_step(
    conn: Connection,
    referral_id: UUID,
    event_id: UUID,
    step: TimelineStep,
    service: str,
    occurred_at: datetime,
    detail: str | None,
    local_authority: str | None = None,
) -> tuple[str, list[Step]]:
    """The referral's status when locked, and its journey steps with ``step`` added (the
    batch's steps waiting for its end written first: this reads the table)."""
    await batch_timeline.write_waiting(conn, referral_id)
    status = await batch_rows.locked_status(conn, referral_id, local_authority)
    if status is None:
        raise LookupError(f"referral {referral_id} is not known here")
    steps = await conn.fetchval(
        STEP_ADDED,
        referral_id,
        event_id,
        step.value,
        service,
        occurred_at,
        detail,
        [s.value for s in Step],
    )
    return status, [Step(value) for value in steps]


async def set_status(conn: Connection, referral_id: UUID, status: Step) -> None:
    await conn.execute(
        "UPDATE referrals SET status = $2, updated_at = now() WHERE id = $1",
        referral_id,
        status.value,
    )


async def get_referral(
    conn: Connection, referral_id: UUID
) -> tuple[asyncpg.Record, list[asyncpg.Record]] | None:
    """The referral (no personal details) and its timeline, oldest first."""
    referral = await conn.fetchrow(
        """SELECT id, local_authority, requested_by, primary_need, received_on, track, status,
                  closed_at, created_at, updated_at, assessment_suggested
           FROM referrals WHERE id = $1""",
        referral_id,
    )
    if referral is None:
        return None
    timeline = await conn.fetch(
        """SELECT step, detail, service, occurred_at, event_id FROM timeline
           WHERE referral_id = $1 ORDER BY occurred_at, recorded_at""",
        referral_id,
    )
    return referral, timeline


async def child_details(conn: Connection, referral_id: UUID) -> asyncpg.Record | None:
    """The referral's child's personal details (null names once erased), and the council."""
    return await conn.fetchrow(
        """SELECT r.local_authority, r.school_urn, c.date_of_birth, c.nhs_number, c.postcode,
                  c.upn, c.erased_at IS NOT NULL AS erased,
                  CASE WHEN c.erased_at IS NULL THEN c.given_name END AS given_name,
                  CASE WHEN c.erased_at IS NULL THEN c.family_name END AS family_name,
                  r.sharing_consent, p.relationship AS representative,
                  p.reason AS representative_reason, p.recorded_at AS representative_since
           FROM referrals r JOIN children c ON c.id = r.child_id
                LEFT JOIN representatives p ON p.referral_id = r.id
           WHERE r.id = $1""",
        referral_id,
    )


async def revoke_family_links(conn: Connection, referral_id: UUID) -> tuple[int, datetime] | None:
    """The links of every generation so far stop working: the referral's new link generation
    and when, or None when the referral is not visible here."""
    row = await conn.fetchrow(
        """UPDATE referrals SET family_link_generation = family_link_generation + 1
           WHERE id = $1 RETURNING family_link_generation, now() AS revoked_at""",
        referral_id,
    )
    return None if row is None else (row["family_link_generation"], row["revoked_at"])


async def family_link_current(conn: Connection, link: FamilyLink) -> bool:
    """Whether ``link`` is of the referral's current generation (and, for a revocation made
    before generations were counted, was issued after it)."""
    return bool(
        await conn.fetchval(
            """SELECT $2 >= family_link_generation AND $3 >= family_links_valid_after
               FROM referrals WHERE id = $1""",
            link.referral_id,
            link.generation,
            link.issued_at,
        )
    )


async def close(conn: Connection, referral_id: UUID, *, support_ended: bool = True) -> None:
    """The council's work on the referral is over (it stays, read-only, until retention).
    ``support_ended`` false: only its statutory request is (the EHC outcome); the support it
    started goes on until the referral is closed for support."""
    await conn.execute(
        """UPDATE referrals SET closed_at = coalesce(closed_at, now()), updated_at = now(),
               support_ended_at = CASE WHEN $2 THEN now() ELSE support_ended_at END
           WHERE id = $1""",
        referral_id,
        support_ended,
    )


async def closing_state(conn: Connection, referral_id: UUID) -> asyncpg.Record | None:
    """The referral's council, when its support ended, and its EHC request's stage (null
    without one), locked for closing."""
    return await conn.fetchrow(
        """SELECT r.local_authority, r.support_ended_at, e.stage AS ehc_stage
           FROM referrals r LEFT JOIN ehc_requests e ON e.referral_id = r.id
           WHERE r.id = $1 FOR UPDATE OF r""",
        referral_id,
    )


async def forget_idempotency_keys(conn: Connection, older_than_hours: float) -> int:
    """Keys are kept this long: a client retries within minutes, not days."""
    result = await conn.execute(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)",
        older_than_hours * 3600,
    )
    return int(result.split()[-1])
