"""The referrer's reasons of an NHS partner's referral, kept for the caseworker who triages
it (SQL over asyncpg, in the caller's unit of work). Special category data: read by the
council's staff, never logged."""

from __future__ import annotations

import json
from collections.abc import Sequence
from uuid import UUID

from pydantic import TypeAdapter

from referrals.referrer_reasons import ReferrerReason
from shared.db import Connection
from shared.events import Sen2Need

_REASONS = TypeAdapter(list[ReferrerReason])


async def keep(
    conn: Connection,
    referral_id: UUID,
    *,
    local_authority: str,
    partner: str,
    requester_ods: str,
    reasons: Sequence[ReferrerReason],
    suggested: Sequence[Sen2Need],
) -> None:
    """Keep the reasons under the id the partner was given (once: a republished request
    changes nothing)."""
    await conn.execute(
        """INSERT INTO referrer_reasons
               (referral_id, local_authority, partner, requester_ods, reasons, suggested_needs)
           VALUES ($1, $2, $3, $4, $5::jsonb, $6) ON CONFLICT (referral_id) DO NOTHING""",
        referral_id,
        local_authority,
        partner,
        requester_ods,
        _REASONS.dump_json(list(reasons), exclude_none=True).decode(),
        [n.value for n in suggested],
    )


async def suggested_for(conn: Connection, referral_id: UUID) -> list[Sen2Need]:
    """The needs the council's table suggested for this request (none if it kept none)."""
    found = await conn.fetchval(
        "SELECT suggested_needs FROM referrer_reasons WHERE referral_id = $1", referral_id
    )
    return [Sen2Need(n) for n in found or ()]


async def reasons_of(
    conn: Connection, referral_id: UUID
) -> tuple[str, list[ReferrerReason], list[Sen2Need]] | None:
    """Who referred (ODS code), the reasons as given, and the needs suggested; None when the
    referral came from no NHS partner."""
    row = await conn.fetchrow(
        """SELECT requester_ods, reasons::text AS reasons, suggested_needs
           FROM referrer_reasons WHERE referral_id = $1""",
        referral_id,
    )
    if row is None:
        return None
    return (
        row["requester_ods"],
        _REASONS.validate_python(json.loads(row["reasons"])),
        [Sen2Need(n) for n in row["suggested_needs"]],
    )
