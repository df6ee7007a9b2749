"""SQL of the requests made on the public form (``public_requests``) and of representatives."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
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


EVIDENCE_UPLOADER = "public"
"""Who uploaded a public form's evidence (no account): its document's ``uploaded_by``."""
UNCLAIMED_FOR = timedelta(days=1)
"""How long evidence uploaded on the public form waits for the request that names it."""


async def claim(conn: Connection, request_id: UUID, evidence: Sequence[UUID]) -> list[UUID]:
    """The uploads ``evidence`` named by the request ``request_id`` (in its council: row-level
    security); the ids not claimed (unknown, erased, or another request's)."""
    claimed = await conn.fetch(
        """UPDATE documents SET public_request_id = $1
           WHERE id = ANY ($2) AND referral_id IS NULL AND public_request_id IS NULL
             AND uploaded_by = $3 AND erased_at IS NULL
           RETURNING id""",
        request_id,
        list(evidence),
        EVIDENCE_UPLOADER,
    )
    found = {r["id"] for r in claimed}
    return [e for e in evidence if e not in found]


async def taken_in(conn: Connection, request_id: UUID) -> None:
    """The request is the referral with its id now: its evidence is the referral's."""
    await conn.execute(
        "UPDATE documents SET referral_id = $1 WHERE public_request_id = $1", request_id
    )


async def erase_unclaimed(conn: Connection) -> list[asyncpg.Record]:
    """Evidence no request named within ``UNCLAIMED_FOR``: erased (their bytes after the
    commit, as every erased document's); each one's id and council."""
    return await conn.fetch(
        """UPDATE documents SET filename = 'erased', erased_at = now()
           WHERE referral_id IS NULL AND public_request_id IS NULL AND erased_at IS NULL
             AND uploaded_at < now() - $1::interval
           RETURNING id, local_authority""",
        UNCLAIMED_FOR,
    )


async def erase_with_their_requests(conn: Connection) -> int:
    """Evidence of requests never taken in whose details retention erased: erased with them
    (their bytes after the commit); returns how many."""
    result = await conn.execute(
        """UPDATE documents d SET filename = 'erased', erased_at = now()
           FROM public_requests p
           WHERE d.public_request_id = p.id AND d.referral_id IS NULL AND d.erased_at IS NULL
             AND p.request IS NULL AND p.referral_id IS NULL"""
    )
    return int(result.split()[-1])
