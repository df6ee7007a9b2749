"""SQL of the requests made on the public form (``public_requests``) and of representatives."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import asyncpg

from referrals.public.schemas import PublicRequest
from shared.db import Connection

VIEW_COLUMNS = """id, local_authority, requested_by, track, received_on, date_of_birth,
    asked_to_confirm, confirmed_by, confirmed_at, referral_id, not_taken_in, clashes_with,
    request -> 'child' ->> 'given_name' AS given_name,
    request -> 'child' ->> 'family_name' AS family_name"""


async def confirmations_sent(conn: Connection, contact_key: str) -> int:
    """Links to confirm a request sent to this contact in the last day, once every other
    request for it has finished counting (a lock on the key until the transaction ends)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", contact_key)
    sent: int = await conn.fetchval(
        """SELECT count(*) FROM public_requests WHERE contact_key = $1 AND asked_to_confirm
             AND created_at > now() - interval '1 day'""",
        contact_key,
    )
    return sent


async def keep(
    conn: Connection,
    request_id: UUID,
    body: PublicRequest,
    *,
    received_on: date,
    contact_key: str,
    asked_to_confirm: bool,
) -> None:
    await conn.execute(
        """INSERT INTO public_requests (id, local_authority, requested_by, track, received_on,
               date_of_birth, contact_key, asked_to_confirm, sharing_consent, request)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)""",
        request_id,
        body.local_authority,
        body.requested_by,
        body.track,
        received_on,
        body.child.date_of_birth,
        contact_key,
        asked_to_confirm,
        body.sharing_consent,
        body.model_dump_json(exclude={"honeypot"}),
    )


async def locked(conn: Connection, request_id: UUID) -> asyncpg.Record | None:
    """The request, locked until the transaction ends (one confirmation at a time)."""
    return await conn.fetchrow("SELECT * FROM public_requests WHERE id = $1 FOR UPDATE", request_id)


async def confirmed(
    conn: Connection,
    request_id: UUID,
    *,
    by: str,
    subject: str | None,
    referral_id: UUID | None,
    not_taken_in: str | None = None,
    clashes_with: UUID | None = None,
) -> None:
    """Record the confirmation and what became of the request; once taken in, its copy of
    the request (the child's and contact's details) goes: the referral holds them now."""
    await conn.execute(
        """UPDATE public_requests SET confirmed_by = coalesce(confirmed_by, $2),
               confirmed_by_subject = coalesce(confirmed_by_subject, $3),
               confirmed_at = coalesce(confirmed_at, now()), referral_id = $4,
               not_taken_in = $5, clashes_with = $6,
               request = CASE WHEN $4::uuid IS NULL THEN request END
           WHERE id = $1""",
        request_id,
        by,
        subject,
        referral_id,
        not_taken_in,
        clashes_with,
    )


async def set_sharing_consent(conn: Connection, referral_id: UUID, consent: str | None) -> None:
    await conn.execute(
        "UPDATE referrals SET sharing_consent = $2 WHERE id = $1", referral_id, consent
    )


async def listed(
    conn: Connection, *, waiting_only: bool, limit: int, offset: int
) -> list[asyncpg.Record]:
    """Requests of the councils acted for, oldest first: those not taken in yet only, unless
    ``waiting_only`` is false."""
    return await conn.fetch(
        f"""SELECT {VIEW_COLUMNS} FROM public_requests
            WHERE NOT $1 OR referral_id IS NULL ORDER BY created_at, id LIMIT $2 OFFSET $3""",
        waiting_only,
        limit,
        offset,
    )


async def view(conn: Connection, request_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {VIEW_COLUMNS} FROM public_requests WHERE id = $1", request_id
    )


async def record_representative(
    conn: Connection,
    referral_id: UUID,
    local_authority: str,
    *,
    relationship: str,
    reason: str,
    recorded_by: str,
) -> None:
    """The young person's representative (the latest replaces the one before)."""
    await conn.execute(
        """INSERT INTO representatives (referral_id, local_authority, relationship, reason,
               recorded_by)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (referral_id) DO UPDATE SET relationship = EXCLUDED.relationship,
               reason = EXCLUDED.reason, recorded_by = EXCLUDED.recorded_by,
               recorded_at = now()""",
        referral_id,
        local_authority,
        relationship,
        reason,
        recorded_by,
    )
