"""SQL for plans' phase transfers (migration 0047): set, met by the amended plan, and read as
a year's cohort (``cohort``: the one query the caseload, its page and a simulated council
year all read)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal
from uuid import UUID

from referrals.live.phase_transfer import (
    CohortState,
    NamedSetting,
    PhaseTransfer,
    state_of,
)
from shared.db import Connection
from shared.events import PhaseTransferKind, PhaseTransferSet

SetBy = Literal["date_of_birth", "import", "caseworker"]


async def set_transfer(
    conn: Connection,
    referral_id: UUID,
    council: str,
    transfer: PhaseTransfer,
    set_by: SetBy,
    today: date,
) -> PhaseTransferSet:
    """The plan's next transfer, instead of any not yet met whose move is still to come (a
    caseworker's year replaces the one worked out); its warnings start again."""
    await conn.execute(
        """DELETE FROM phase_transfers WHERE referral_id = $1 AND met_on IS NULL
               AND make_date(transfer_year, 9, 1) > $2 AND transfer_year <> $3""",
        referral_id,
        today,
        transfer.year,
    )
    await conn.execute(
        """INSERT INTO phase_transfers (referral_id, transfer_year, local_authority, kind,
               set_by, due_on)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (referral_id, transfer_year) DO UPDATE SET kind = EXCLUDED.kind,
               set_by = EXCLUDED.set_by, due_on = EXCLUDED.due_on,
               at_risk_sent_on = NULL, missed_sent_on = NULL""",
        referral_id,
        transfer.year,
        council,
        transfer.kind,
        set_by,
        transfer.due_on,
    )
    return PhaseTransferSet(
        referral_id=referral_id,
        local_authority=council,
        kind=transfer.kind,
        transfer_year=transfer.year,
        due_on=transfer.due_on,
        set_by=set_by,
    )


async def add_many(
    conn: Connection, transfers: list[tuple[UUID, str, PhaseTransfer, SetBy]]
) -> list[PhaseTransferSet]:
    """The transfers of plans just brought in (none set before): one statement for all."""
    await conn.executemany(
        """INSERT INTO phase_transfers (referral_id, transfer_year, local_authority, kind,
               set_by, due_on)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        [(r, t.year, council, t.kind, by, t.due_on) for r, council, t, by in transfers],
    )
    return [
        PhaseTransferSet(
            referral_id=r, local_authority=council, kind=t.kind, transfer_year=t.year,
            due_on=t.due_on, set_by=by,
        )
        for r, council, t, by in transfers
    ]  # fmt: skip


async def pending_for(conn: Connection, referral_id: UUID, issued_on: date) -> PhaseTransfer | None:
    """The transfer an amended plan issued on ``issued_on`` is for (not yet met; issued in the
    school year before the move: ``phase_transfer.applies_to``), locked until the transaction
    ends."""
    row = await conn.fetchrow(
        """SELECT kind, transfer_year FROM phase_transfers
           WHERE referral_id = $1 AND met_on IS NULL AND make_date(transfer_year, 9, 1) > $2
             AND make_date(transfer_year - 1, 9, 1) <= $2
           ORDER BY transfer_year LIMIT 1 FOR UPDATE""",
        referral_id,
        issued_on,
    )
    return None if row is None else PhaseTransfer(row["kind"], row["transfer_year"])


async def current_setting(conn: Connection, referral_id: UUID) -> NamedSetting:
    """The setting the plan names now (brought in with it, or the referral's school)."""
    row = await conn.fetchrow(
        """SELECT coalesce(l.setting_urn, r.school_urn) AS urn, l.setting_ukprn AS ukprn
           FROM referrals r LEFT JOIN live_plans l ON l.referral_id = r.id WHERE r.id = $1""",
        referral_id,
    )
    return NamedSetting() if row is None else NamedSetting(row["urn"], row["ukprn"])


async def met(
    conn: Connection,
    referral_id: UUID,
    transfer: PhaseTransfer,
    issued_on: date,
    named: NamedSetting,
) -> None:
    await conn.execute(
        """UPDATE phase_transfers SET met_on = $3, next_setting_urn = $4,
               next_setting_ukprn = $5, next_setting_type = $6
           WHERE referral_id = $1 AND transfer_year = $2""",
        referral_id,
        transfer.year,
        issued_on,
        named.urn,
        named.ukprn,
        named.setting_type,
    )


@dataclass(frozen=True)
class CohortChild:
    """A child of a year's transfer cohort and where their transfer stands."""

    referral_id: UUID
    local_authority: str
    given_name: str | None
    family_name: str | None
    kind: PhaseTransferKind
    transfer_year: int
    due_on: date
    set_by: str
    review_held_on: date | None
    """The meeting of the transfer's review (held in the school year before the move)."""
    review_decision: str | None
    amended_issued_on: date | None
    """The amended plan naming the next setting (the transfer met)."""
    next_setting_urn: str | None
    next_setting_ukprn: str | None
    next_setting_type: str | None
    state: CohortState


async def cohort(conn: Connection, year: int, today: date, at_risk_days: int) -> list[CohortChild]:
    """The transfer cohort of ``year`` (children moving phase in its September) of the councils
    the connection acts for, the nearest deadline first, each with its state on ``today``."""
    rows = await conn.fetch(
        """SELECT t.*, c.given_name, c.family_name, v.held_on, v.decision
           FROM phase_transfers t
           JOIN referrals r ON r.id = t.referral_id
           LEFT JOIN children c ON c.id = r.child_id
           LEFT JOIN LATERAL (
               SELECT a.held_on, a.decision FROM annual_reviews a
               WHERE a.referral_id = t.referral_id
                 AND a.held_on >= make_date(t.transfer_year - 1, 9, 1)
               ORDER BY a.held_on DESC LIMIT 1) v ON true
           WHERE t.transfer_year = $1
           ORDER BY t.due_on, c.family_name, t.referral_id""",
        year,
    )
    return [
        CohortChild(
            referral_id=row["referral_id"],
            local_authority=row["local_authority"],
            given_name=row["given_name"],
            family_name=row["family_name"],
            kind=row["kind"],
            transfer_year=row["transfer_year"],
            due_on=row["due_on"],
            set_by=row["set_by"],
            review_held_on=row["held_on"],
            review_decision=row["decision"],
            amended_issued_on=row["met_on"],
            next_setting_urn=row["next_setting_urn"],
            next_setting_ukprn=row["next_setting_ukprn"],
            next_setting_type=row["next_setting_type"],
            state=state_of(row["due_on"], row["met_on"], today, at_risk_days),
        )
        for row in rows
    ]
