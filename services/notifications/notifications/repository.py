"""SQL for family contacts, requests, preferences and queued messages, and the caseworker's
reads of them. A message's delivery, from its claim to its receipt, is in ``deliveries``.

(Longer than most modules: one short SQL function per query the handlers and routes make.)
"""

from __future__ import annotations

import json
from datetime import datetime
from uuid import UUID

import asyncpg

from notifications.catalogue import Audience
from notifications.domain import FamilyAlert
from shared import referral_locks
from shared.db import Connection
from shared.events import (
    FamilyContactRegistered,
    PublicRequestReceived,
    ReferralAwaitingTriage,
    ReferralReceived,
)

ALERT_COLUMNS = """n.id, n.referral_id, n.about_event_id, n.template, n.local_authority,
    n.audience, n.statutory, n.details::text AS details, n.team_email, n.recipient"""


def alert_of(row: asyncpg.Record) -> FamilyAlert:
    return FamilyAlert(
        id=row["id"],
        referral_id=row["referral_id"],
        about_event_id=row["about_event_id"],
        template=row["template"],
        local_authority=row["local_authority"],
        audience=Audience(row["audience"]),
        statutory=row["statutory"],
        details=json.loads(row["details"]),
        team_email=row["team_email"],
        recipient=row["recipient"],
    )


async def lock_referral(conn: Connection, referral_id: UUID) -> None:
    """Serialise this transaction with any other about the same referral, until it ends (no
    statement when its consumed batch holds the lock already: ``shared.referral_locks``)."""
    await referral_locks.lock_referral(conn, str(referral_id))


async def save_contact(
    conn: Connection, contact: FamilyContactRegistered, *, local_authority: str
) -> None:
    await conn.execute(
        """INSERT INTO family_contacts (referral_id, contact_name, email, phone, preferred_channel,
               address_lines, local_authority, representative)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (referral_id) DO UPDATE SET contact_name = EXCLUDED.contact_name,
               email = EXCLUDED.email, phone = EXCLUDED.phone,
               preferred_channel = EXCLUDED.preferred_channel,
               address_lines = EXCLUDED.address_lines,
               representative = EXCLUDED.representative, updated_at = now()""",
        contact.referral_id,
        contact.contact_name,
        contact.email,
        contact.phone,
        contact.preferred_channel,
        contact.address_lines,
        local_authority,
        contact.representative,
    )


async def save_request(
    conn: Connection,
    event: ReferralReceived | ReferralAwaitingTriage | PublicRequestReceived,
    *,
    local_authority: str,
) -> None:
    """Who asked and when (the referral's, or a request made on the public form, which
    becomes the referral with the same id once confirmed: the first one kept stays)."""
    await conn.execute(
        """INSERT INTO requests (referral_id, local_authority, requested_by, received_on)
           VALUES ($1, $2, $3, $4) ON CONFLICT (referral_id) DO NOTHING""",
        event.referral_id,
        local_authority,
        event.requested_by,
        event.received_on,
    )


async def family_reachable(conn: Connection, referral_id: UUID) -> bool:
    """Whether a family's messages may go: their contact is known, and so is their request
    (whose acknowledgement goes first, though its event may reach this service later than
    the events after it)."""
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (SELECT FROM family_contacts WHERE referral_id = $1)
                  AND EXISTS (SELECT FROM requests WHERE referral_id = $1)""",
            referral_id,
        )
    )


async def add_alert(
    conn: Connection,
    alert: FamilyAlert,
    *,
    queued: bool,
    occurred_at: datetime,
    trace_headers: dict[str, str],
) -> bool:
    """Store a message, queued for sending or awaiting the family's contact; False if one
    exists for that event and audience already. ``occurred_at`` (the event's own time) puts
    it in order among the family's messages."""
    added = await conn.fetchval(
        """INSERT INTO notifications (id, referral_id, about_event_id, local_authority,
               template, status, trace_headers, audience, statutory, details, occurred_at,
               team_email, recipient)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10::jsonb, $11, $12, $13)
           ON CONFLICT (about_event_id, audience, recipient) DO NOTHING RETURNING true""",
        alert.id,
        alert.referral_id,
        alert.about_event_id,
        alert.local_authority,
        alert.template,
        "queued" if queued else "awaiting_contact",
        json.dumps(trace_headers),
        alert.audience.value,
        alert.statutory,
        json.dumps(dict(alert.details)),
        occurred_at,
        alert.team_email,
        alert.recipient,
    )
    return bool(added)


async def queue_awaiting(conn: Connection, referral_id: UUID) -> int:
    """Queue the messages that waited for this family's contact and request, once both are
    known; returns how many."""
    result = await conn.execute(
        """UPDATE notifications SET status = 'queued'
           WHERE referral_id = $1 AND status = 'awaiting_contact'
             AND EXISTS (SELECT FROM family_contacts WHERE referral_id = $1)
             AND EXISTS (SELECT FROM requests WHERE referral_id = $1)""",
        referral_id,
    )
    return int(result.split()[-1])


async def notifications_for(conn: Connection, referral_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, template, audience, statutory, status, channel, created_at, sent_at,
                  delivered_at, completed_at, not_before, held_reason, last_error,
                  local_authority
           FROM notifications WHERE referral_id = $1 ORDER BY occurred_at, created_at, id""",
        referral_id,
    )


async def attempts_for(conn: Connection, referral_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT a.notification_id, a.channel, a.provider, a.status, a.started_at, a.sent_at,
                  a.completed_at, a.error
           FROM delivery_attempts a JOIN notifications n ON n.id = a.notification_id
           WHERE n.referral_id = $1 ORDER BY a.started_at""",
        referral_id,
    )


async def council_of(conn: Connection, referral_id: UUID) -> str | None:
    """The council of a referral this service has heard of (within the caller's councils)."""
    found: str | None = await conn.fetchval(
        """SELECT local_authority FROM family_contacts WHERE referral_id = $1
           UNION ALL SELECT local_authority FROM requests WHERE referral_id = $1
           UNION ALL SELECT local_authority FROM notifications WHERE referral_id = $1
           LIMIT 1""",
        referral_id,
    )
    return found


async def contact(conn: Connection, referral_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT contact_name, email, phone, address_lines, preferred_channel, local_authority,
                  updated_at, representative
           FROM family_contacts WHERE referral_id = $1""",
        referral_id,
    )


async def preferences(conn: Connection, referral_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT coalesce(p.channel, c.preferred_channel) AS channel,
                  coalesce(p.language, 'en') AS language,
                  coalesce(p.statutory_only, false) AS statutory_only, p.updated_at
           FROM (SELECT $1::uuid AS referral_id) r
           LEFT JOIN family_preferences p USING (referral_id)
           LEFT JOIN family_contacts c USING (referral_id)""",
        referral_id,
    )


async def save_preferences(
    conn: Connection,
    referral_id: UUID,
    *,
    local_authority: str,
    channel: str | None,
    language: str,
    statutory_only: bool,
) -> None:
    await conn.execute(
        """INSERT INTO family_preferences (referral_id, local_authority, channel, language,
               statutory_only)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (referral_id) DO UPDATE SET channel = EXCLUDED.channel,
               language = EXCLUDED.language, statutory_only = EXCLUDED.statutory_only,
               updated_at = now()""",
        referral_id,
        local_authority,
        channel,
        language,
        statutory_only,
    )
