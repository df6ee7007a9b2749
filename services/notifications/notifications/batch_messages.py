"""A consumed batch's messages, and its families' contacts and requests, stored together at
its end.

Each event's messages cost statements of their own (issue #25): whether the family can be
reached (a read an event), an insert a message, and for a request or a contact its own insert
and the update that queues what waited. So while a batch holds its referrals' locks
(``shared.referral_locks.referrals_locked``), the handlers' work goes through here instead:
whether each of the batch's families can be reached is read once, for all its referrals, in
one statement (per council: row-level security shows a council's rows only to it), and kept
as the batch's own requests and contacts add to it; the contacts, the requests and the
messages are stored at the batch's end in one statement each, the messages' audit rows in
another, and what waited for a request or a contact queued in one more
(``HeldReferrals.at_end``, still in the batch's transaction).

Sound because every transaction that stores a referral's contact, request or messages holds
its lock (the handlers take it first), and the batch holds it until it commits: nobody else
changes what it read meanwhile. A message's status is decided when its event is handled, as
before; the messages are shown and sent by when their event occurred and then when they were
recorded (the transaction's start, the same for a whole batch), never by insertion, so storing
them later changes no order. The sender is woken by the insert's trigger, at the commit, as
before. A message that exists already (the same event and recipient) is neither stored nor
audited, as before.

Outside a batch (a handler called on its own) none of this applies: ``repository``'s
statements, one at a time.

(Longer than most modules: the batch's reading, its memory and its writes are one mechanism.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import cast
from uuid import UUID

from notifications.domain import FamilyAlert
from shared.councils import act_for
from shared.db import Connection
from shared.events import (
    FamilyContactRegistered,
    PublicRequestReceived,
    ReferralAwaitingTriage,
    ReferralReceived,
)
from shared.pending_writes import ActorKey, PendingWrites
from shared.referral_locks import HeldReferrals, held_on, kept_to_end

READ_REACHABLE = """SELECT referral_id, true AS contact FROM family_contacts
                        WHERE referral_id = ANY($1::uuid[])
                    UNION ALL SELECT referral_id, false FROM requests
                        WHERE referral_id = ANY($1::uuid[])"""
"""Which of the batch's referrals have a contact, and which a request (visible to the council
the transaction acts for)."""

INSERT_MESSAGES = """INSERT INTO notifications (id, referral_id, about_event_id, local_authority,
                         template, status, trace_headers, audience, statutory, details,
                         occurred_at, team_email, recipient)
                     SELECT id, referral_id, about_event_id, local_authority, template, status,
                         trace_headers::jsonb, audience, statutory, details::jsonb, occurred_at,
                         team_email, recipient
                     FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[],
                         $6::text[], $7::text[], $8::text[], $9::boolean[], $10::text[],
                         $11::timestamptz[], $12::text[], $13::text[]) WITH ORDINALITY
                         AS m(id, referral_id, about_event_id, local_authority, template, status,
                              trace_headers, audience, statutory, details, occurred_at,
                              team_email, recipient, n)
                     ORDER BY n
                     ON CONFLICT (about_event_id, audience, recipient) DO NOTHING
                     RETURNING id"""
"""The batch's messages in the order their events came (``ORDER BY n``); the ids of those
stored (a message that exists already is not)."""

SAVE_CONTACTS = """INSERT INTO family_contacts (referral_id, contact_name, email, phone,
                       preferred_channel, address_lines, local_authority, representative)
                   SELECT referral_id, contact_name, email, phone, preferred_channel,
                       ARRAY(SELECT jsonb_array_elements_text(address_lines::jsonb)),
                       local_authority, representative
                   FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
                       $6::text[], $7::text[], $8::boolean[])
                       AS c(referral_id, contact_name, email, phone, preferred_channel,
                            address_lines, local_authority, representative)
                   ON CONFLICT (referral_id) DO UPDATE SET contact_name = EXCLUDED.contact_name,
                       email = EXCLUDED.email, phone = EXCLUDED.phone,
                       preferred_channel = EXCLUDED.preferred_channel,
                       address_lines = EXCLUDED.address_lines,
                       representative = EXCLUDED.representative, updated_at = now()"""
"""``repository.save_contact`` for each referral's last contact of the batch (one row a
referral: a statement may not update a row twice; the last is what the updates left)."""

SAVE_REQUESTS = """INSERT INTO requests (referral_id, local_authority, requested_by, received_on)
                   SELECT referral_id, local_authority, requested_by, received_on
                   FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[])
                       WITH ORDINALITY AS r(referral_id, local_authority, requested_by,
                                            received_on, n)
                   ORDER BY n
                   ON CONFLICT (referral_id) DO NOTHING"""
"""``repository.save_request`` for the batch's requests, in order (the first one kept stays)."""

QUEUE_AWAITING = """UPDATE notifications n SET status = 'queued'
                    WHERE n.referral_id = ANY($1::uuid[]) AND n.status = 'awaiting_contact'
                      AND EXISTS (SELECT FROM family_contacts c WHERE c.referral_id = n.referral_id)
                      AND EXISTS (SELECT FROM requests r WHERE r.referral_id = n.referral_id)"""
"""``repository.queue_awaiting`` for several referrals at once."""

_KEY = "notifications.messages"  # the key of this module's memory in HeldReferrals


@dataclass
class _Known:
    """What a council's reading of the batch's referrals found (and the batch added since)."""

    read: set[UUID] = field(default_factory=set)
    contacts: set[UUID] = field(default_factory=set)
    requests: set[UUID] = field(default_factory=set)


@dataclass
class _Waiting:
    """The batch's memory: what it knows of its families, and what it has not written yet."""

    known: dict[str, _Known] = field(default_factory=dict)
    """By the council the reading acted for."""
    messages: list[tuple[FamilyAlert, str, datetime, str, ActorKey]] = field(default_factory=list)
    """Each message, its status, its event's time, its trace (JSON) and whose work it is."""
    contacts: dict[UUID, tuple[FamilyContactRegistered, str]] = field(default_factory=dict)
    """Each referral's last contact stored by the batch, and its council."""
    requests: list[tuple[UUID, str, str, date]] = field(default_factory=list)
    """The requests stored by the batch: referral, council, who asked, when received."""
    awaiting: list[UUID] = field(default_factory=list)
    """Referrals whose waiting messages are to be queued (if their family can be reached)."""
    councils: set[str] = field(default_factory=set)
    """The councils of the messages and referrals waiting: the writes act for them."""


def in_batch(conn: Connection) -> bool:
    """Whether the handlers' work on ``conn`` is a consumed batch's (which holds its
    referrals' locks): the messages then wait for its end."""
    return held_on(conn) is not None


async def family_reachable(conn: Connection, referral_id: UUID, local_authority: str) -> bool:
    """``repository.family_reachable`` within the batch: read once for all its referrals not
    read yet for ``local_authority`` (the council the transaction acts for)."""
    held = cast("HeldReferrals", held_on(conn))
    known = _waiting(held).known.setdefault(local_authority, _Known())
    if referral_id not in known.read:
        ids = {referral_id} | {id_ for id_ in _held_uuids(held) if id_ not in known.read}
        rows = await conn.fetch(READ_REACHABLE, sorted(ids))
        known.read |= ids
        for row in rows:
            (known.contacts if row["contact"] else known.requests).add(row["referral_id"])
    return referral_id in known.contacts and referral_id in known.requests


def save_request(
    conn: Connection,
    event: ReferralReceived | ReferralAwaitingTriage | PublicRequestReceived,
    *,
    local_authority: str,
) -> None:
    """``repository.save_request`` at the batch's end; known at once to the batch (a
    referral is one council's: its request, found or stored, is the council's)."""
    waiting = _waiting(cast("HeldReferrals", held_on(conn)))
    waiting.requests.append(
        (event.referral_id, local_authority, event.requested_by, event.received_on)
    )
    waiting.councils.add(local_authority)
    waiting.known.setdefault(local_authority, _Known()).requests.add(event.referral_id)


def save_contact(
    conn: Connection, contact: FamilyContactRegistered, *, local_authority: str
) -> None:
    """``repository.save_contact`` at the batch's end; known at once to the batch."""
    waiting = _waiting(cast("HeldReferrals", held_on(conn)))
    waiting.contacts.pop(contact.referral_id, None)  # the last one, in the batch's order
    waiting.contacts[contact.referral_id] = (contact, local_authority)
    waiting.councils.add(local_authority)
    waiting.known.setdefault(local_authority, _Known()).contacts.add(contact.referral_id)


def add_alert(
    conn: Connection,
    alert: FamilyAlert,
    *,
    queued: bool,
    occurred_at: datetime,
    trace_headers: dict[str, str],
    actor: ActorKey,
) -> None:
    """``repository.add_alert`` at the batch's end, audited then as ``actor``'s creation if
    it was stored."""
    status = "queued" if queued else "awaiting_contact"
    waiting = _waiting(cast("HeldReferrals", held_on(conn)))
    waiting.messages.append((alert, status, occurred_at, json.dumps(trace_headers), actor))
    waiting.councils.add(alert.local_authority)


def queue_awaiting(conn: Connection, referral_id: UUID, local_authority: str) -> None:
    """``repository.queue_awaiting`` at the batch's end (after its messages are stored), for
    the referral of ``local_authority``."""
    waiting = _waiting(cast("HeldReferrals", held_on(conn)))
    waiting.awaiting.append(referral_id)
    waiting.councils.add(local_authority)


def _held_uuids(held: HeldReferrals) -> set[UUID]:
    ids = set()
    for id_ in held.ids:
        try:
            ids.add(UUID(id_))
        except ValueError:  # not a referral's id: nothing of ours to read
            continue
    return ids


def _waiting(held: HeldReferrals) -> _Waiting:
    """The batch's memory, made (and its writing put off to the batch's end) by its first
    use."""
    return kept_to_end(held, _KEY, _Waiting, _write)


async def _write(conn: Connection, waiting: _Waiting) -> None:
    """The messages waiting (acting for their councils), the audit rows of those stored, and
    what waited for a request or a contact queued; then forget them."""
    messages, waiting.messages = waiting.messages, []
    awaiting, waiting.awaiting = waiting.awaiting, []
    contacts, waiting.contacts = list(waiting.contacts.values()), {}
    requests, waiting.requests = waiting.requests, []
    councils, waiting.councils = waiting.councils, set()
    if not messages and not awaiting and not contacts and not requests:
        return
    await act_for(conn, sorted(councils))
    if contacts:
        await conn.execute(
            SAVE_CONTACTS,
            [c.referral_id for c, _ in contacts],
            [c.contact_name for c, _ in contacts],
            [c.email for c, _ in contacts],
            [c.phone for c, _ in contacts],
            [c.preferred_channel for c, _ in contacts],
            [json.dumps(c.address_lines) for c, _ in contacts],
            [council for _, council in contacts],
            [c.representative for c, _ in contacts],
        )
    if requests:
        await conn.execute(SAVE_REQUESTS, *(list(c) for c in zip(*requests, strict=True)))
    if messages:
        alerts = [m[0] for m in messages]
        stored = await conn.fetch(
            INSERT_MESSAGES,
            [a.id for a in alerts],
            [a.referral_id for a in alerts],
            [a.about_event_id for a in alerts],
            [a.local_authority for a in alerts],
            [a.template for a in alerts],
            [m[1] for m in messages],
            [m[3] for m in messages],
            [a.audience.value for a in alerts],
            [a.statutory for a in alerts],
            [json.dumps(dict(a.details)) for a in alerts],
            [m[2] for m in messages],
            [a.team_email for a in alerts],
            [a.recipient for a in alerts],
        )
        added = {row["id"] for row in stored}
        audits = PendingWrites()
        for alert, _, _, _, actor in messages:
            if alert.id in added:
                audits.add_audits(
                    actor, [(alert.local_authority, "create", "notification", alert.referral_id)]
                )
        await audits.write(conn)
    if awaiting:
        await conn.execute(QUEUE_AWAITING, sorted(set(awaiting)))
