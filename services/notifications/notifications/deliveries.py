"""SQL of a message's delivery, from its claim to the provider's receipt: claiming the messages
due (each family's first unfinished one), recording an attempt before the provider is called,
releasing or refusing a claim, marking messages sent, applying a delivery status, and finding
the messages still waiting for a receipt.

Every transaction here that touches a message and its attempts takes the message's row first
(several: in the order of their ids), then the attempts: the sender's and a receipt's
transactions on one message then queue for it instead of each holding what the other waits for
(#25 saw such a deadlock when the sender took the attempts first).

(Longer than most modules: it is one state machine's SQL (queued -> sending -> sent -> delivered or
failed): each statement's guard relies on the states the others write, so they are kept where
they can be read together. Contacts, requests, alerts and the caseworker's reads are in
``repository``.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from notifications import link_generations
from notifications.domain import FAILURES, Channel, FamilyAlert, Tried, delivered, sent_events
from notifications.repository import ALERT_COLUMNS, alert_of
from shared.councils import ALL, act_for
from shared.db import Connection
from shared.events import DomainEvent, FamilyContactRegistered


@dataclass(frozen=True)
class Attempt:
    channel: Channel
    provider: str
    status: str


@dataclass(frozen=True)
class Claimed:
    """A message a sender has claimed, with what it needs to decide and send."""

    alert: FamilyAlert
    contact: FamilyContactRegistered | None
    preferences: dict[str, Any]
    young_person: bool
    attempts: list[Attempt]
    trace_headers: dict[str, str]
    link_generation: int = 0
    """The generation of the referral's family links, for the link in the message."""

    @property
    def in_flight(self) -> Attempt | None:
        """An attempt begun by a sender that stopped before recording what happened."""
        return next((a for a in self.attempts if a.status == "sending"), None)

    def tried(self) -> list[Tried]:
        return [Tried(a.channel, a.status) for a in self.attempts]


async def claim_due(
    conn: Connection, *, now: datetime, limit: int, lease: timedelta
) -> list[Claimed]:
    """Claim the messages due now: the first unfinished message of each family (so each
    family's messages go in order), those whose earlier claim ran out, and those due to go
    again through another channel. Commits the claim before anything is sent."""
    async with conn.transaction():
        await act_for(conn, ALL)  # the service's own work, across the councils it serves
        rows = await conn.fetch(
            f"""WITH heads AS (
                    SELECT DISTINCT ON (referral_id, audience) id FROM notifications
                    WHERE status IN ('queued', 'sending')
                    ORDER BY referral_id, audience, occurred_at, created_at, id),
                due AS (
                    SELECT id FROM notifications n
                    WHERE (n.id IN (SELECT id FROM heads)
                           AND ((n.status = 'queued' AND coalesce(n.not_before <= $2, true))
                             OR (n.status = 'sending' AND n.claimed_at < $2 - $3::interval)))
                       OR (n.status = 'sent' AND n.fallback_at <= $2)
                    ORDER BY n.created_at LIMIT $1 FOR UPDATE SKIP LOCKED)
                UPDATE notifications n SET status = 'sending', claimed_at = $2,
                    attempts = n.attempts + 1
                FROM due WHERE n.id = due.id
                RETURNING {ALERT_COLUMNS}, n.trace_headers::text AS trace_headers""",
            limit,
            now,
            lease,
        )
        ids = [r["id"] for r in rows]
        referral_ids = list({r["referral_id"] for r in rows})
        contacts = {
            r["referral_id"]: FamilyContactRegistered(
                **{k: v for k, v in dict(r).items() if k != "address_lines"},
                address_lines=list(r["address_lines"]),
            )
            for r in await conn.fetch(
                """SELECT referral_id, contact_name, email, phone, preferred_channel, address_lines,
                          representative
                   FROM family_contacts WHERE referral_id = ANY($1::uuid[])""",
                referral_ids,
            )
        }
        preferences = {
            r["referral_id"]: dict(r)
            for r in await conn.fetch(
                """SELECT referral_id, channel, language, statutory_only FROM family_preferences
                   WHERE referral_id = ANY($1::uuid[])""",
                referral_ids,
            )
        }
        young = {
            r["referral_id"]
            for r in await conn.fetch(
                """SELECT referral_id FROM requests
                   WHERE referral_id = ANY($1::uuid[]) AND requested_by = 'young_person'""",
                referral_ids,
            )
        }
        generations = await link_generations.of(conn, referral_ids)
        attempts: dict[UUID, list[Attempt]] = {}
        for r in await conn.fetch(
            """SELECT notification_id, channel, provider, status FROM delivery_attempts
               WHERE notification_id = ANY($1::uuid[]) ORDER BY started_at""",
            ids,
        ):
            attempts.setdefault(r["notification_id"], []).append(
                Attempt(r["channel"], r["provider"], r["status"])
            )
    return [
        Claimed(
            alert=alert_of(r),
            contact=contacts.get(r["referral_id"]),
            preferences=preferences.get(r["referral_id"], {}),
            young_person=r["referral_id"] in young,
            attempts=attempts.get(r["id"], []),
            trace_headers=json.loads(r["trace_headers"]),
            link_generation=generations.get(r["referral_id"], 0),
        )
        for r in rows
    ]


LOCK = """SELECT n.id FROM unnest($1::uuid[]) AS wanted (id)
          CROSS JOIN LATERAL (SELECT id FROM notifications WHERE id = wanted.id
                              LIMIT 1 FOR NO KEY UPDATE) AS n"""
"""The messages' rows, locked in the order of the ids given (``$1``, sorted), each looked up in
the primary key: the subquery with a ``LIMIT`` cannot be flattened into a join. As ``WHERE id =
ANY($1) ORDER BY id``, a plan made on a new database's empty-table statistics read every
message for each lock, and this is the sender's and the receipts' most frequent statement
(issue #25; ``referrals.batch_rows.LOCK_ROWS`` is the same form)."""


async def lock(conn: Connection, ids: list[UUID]) -> None:
    """Lock the messages' rows in the order of their ids (see the module docstring); in the
    caller's transaction, before any of their attempts."""
    await conn.execute(LOCK, sorted(set(ids)))


async def start_attempts(
    conn: Connection, attempts: list[tuple[FamilyAlert, Channel, str]], now: datetime
) -> None:
    """Record, before the calls, that each message (alert, channel, provider) is being tried on
    that channel, in one transaction: a sender that stops mid-way leaves it ``sending``, and the
    next one asks the provider before sending again."""
    ids = [a.id for a, _, _ in attempts]
    channels = [channel for _, channel, _ in attempts]
    async with conn.transaction():
        await act_for(conn, ALL)
        await lock(conn, ids)
        await conn.execute(
            """UPDATE notifications n SET channel = a.channel
               FROM unnest($1::uuid[], $2::text[]) AS a(id, channel) WHERE n.id = a.id""",
            ids,
            channels,
        )
        await conn.execute(
            """INSERT INTO delivery_attempts (notification_id, channel, provider, local_authority,
                   status, started_at)
               SELECT id, channel, provider, local_authority, 'sending', $5
               FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])
                   AS a(id, channel, provider, local_authority)
               ON CONFLICT (notification_id, channel) DO UPDATE
                   SET status = 'sending', provider = EXCLUDED.provider, started_at = $5,
                       error = NULL""",
            ids,
            channels,
            [provider for _, _, provider in attempts],
            [a.local_authority for a, _, _ in attempts],
            now,
        )


async def release(
    conn: Connection,
    alert: FamilyAlert,
    *,
    until: datetime | None,
    reason: str | None,
    drop_attempt: Channel | None = None,
) -> None:
    """Put a claimed message back in the queue (held until ``until``); ``drop_attempt``: the
    attempt on that channel certainly did not go (the provider answered with an error)."""
    async with conn.transaction():
        await act_for(conn, ALL)
        await conn.execute(
            """UPDATE notifications SET status = 'queued', not_before = $2, held_reason = $3,
                   claimed_at = NULL
               WHERE id = $1 AND status = 'sending'""",
            alert.id,
            until,
            reason,
        )
        if drop_attempt is not None:
            await conn.execute(
                """DELETE FROM delivery_attempts
                   WHERE notification_id = $1 AND channel = $2 AND status = 'sending'""",
                alert.id,
                drop_attempt,
            )


async def hold_each(
    conn: Connection, held: list[tuple[FamilyAlert, datetime]], *, reason: str
) -> None:
    """Put claimed messages back in the queue, each held until its own time (the provider's
    limits: each when its token will be there), in one statement. Runs in the caller's
    transaction, acting for every council, the messages locked (``lock``)."""
    await conn.execute(
        """UPDATE notifications n SET status = 'queued', not_before = h.until, held_reason = $3,
               claimed_at = NULL
           FROM unnest($1::uuid[], $2::timestamptz[]) AS h(id, until)
           WHERE n.id = h.id AND n.status = 'sending'""",
        [alert.id for alert, _ in held],
        [until for _, until in held],
        reason,
    )


async def refused(
    conn: Connection, alert: FamilyAlert, channel: Channel, status: str, reason: str, now: datetime
) -> None:
    """The provider refused the message on this channel: the next channel is tried at once."""
    async with conn.transaction():
        await act_for(conn, ALL)
        await conn.execute(
            """UPDATE notifications SET status = 'queued', not_before = NULL, held_reason = NULL,
                   claimed_at = NULL, last_error = $2
               WHERE id = $1 AND status = 'sending'""",
            alert.id,
            reason,
        )
        await conn.execute(
            """UPDATE delivery_attempts SET status = $3, error = $4, completed_at = $5
               WHERE notification_id = $1 AND channel = $2""",
            alert.id,
            channel,
            status,
            reason,
            now,
        )


@dataclass(frozen=True)
class Handed:
    """A message a provider took: what ``mark_sent`` records."""

    alert: FamilyAlert
    channel: Channel
    provider_id: str | None
    fallback_at: datetime | None
    note: str | None = None
    """Kept as the attempt's error column: why its sending is not confirmed."""


async def mark_sent(conn: Connection, handed: list[Handed], *, now: datetime) -> set[UUID]:
    """Record that the provider took each message, in the caller's transaction; returns the ids
    recorded now (a message whose receipt came first is left as it is: recorded once)."""
    await lock(conn, [h.alert.id for h in handed])
    return await _record_sent(conn, handed, [now] * len(handed))


async def _record_sent(conn: Connection, handed: list[Handed], at: list[datetime]) -> set[UUID]:
    """``mark_sent``'s statement, each message sent at its own time, the messages locked: the
    attempts still sending recorded as sent, and their messages with them (one round trip)."""
    recorded = await conn.fetch(
        """WITH h AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[],
                                          $5::timestamptz[], $6::timestamptz[])
                          AS h(id, channel, provider_id, note, at, fallback_at)),
                d AS (UPDATE delivery_attempts d SET status = 'sent',
                          provider_id = h.provider_id, sent_at = h.at, error = h.note
                      FROM h
                      WHERE d.notification_id = h.id AND d.channel = h.channel
                        AND d.status = 'sending'
                      RETURNING d.notification_id),
                n AS (UPDATE notifications n SET status = 'sent', channel = h.channel,
                          sent_at = coalesce(n.sent_at, h.at), fallback_at = h.fallback_at,
                          claimed_at = NULL, not_before = NULL, held_reason = NULL,
                          last_error = NULL
                      FROM h JOIN d ON d.notification_id = h.id
                      WHERE n.id = h.id AND n.status IN ('sending', 'queued'))
           SELECT notification_id FROM d""",
        [h.alert.id for h in handed],
        [h.channel for h in handed],
        [h.provider_id for h in handed],
        [h.note for h in handed],
        at,
        [h.fallback_at for h in handed],
    )
    return {r["notification_id"] for r in recorded}


async def apply_statuses(
    conn: Connection, given: list[tuple[FamilyAlert, Channel, str, datetime]]
) -> list[list[DomainEvent]]:
    """Providers' statuses for attempts already recorded as sent, one a message at most, a few
    statements for them all; returns each one's events."""
    events: list[list[DomainEvent]] = [[] for _ in given]
    done = [i for i, (_, _, status, _) in enumerate(given) if status == "delivered"]
    if done:
        # One round trip: both updates see the rows as they were; a message is news when its
        # attempt and the message itself both became delivered now.
        news = {
            r["id"]
            for r in await conn.fetch(
                """WITH g AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[],
                                                  $4::timestamptz[]) AS g(id, channel, status, at)),
                        d AS (UPDATE delivery_attempts d SET status = 'delivered',
                                  completed_at = g.at
                              FROM g WHERE d.notification_id = g.id AND d.channel = g.channel
                                AND d.status <> 'delivered'
                              RETURNING d.notification_id),
                        n AS (UPDATE notifications n SET status = 'delivered', delivered_at = g.at,
                                  completed_at = g.at, fallback_at = NULL, channel = g.channel
                              FROM g WHERE n.id = g.id AND n.status <> 'delivered'
                              RETURNING n.id)
                   SELECT id FROM n WHERE id IN (SELECT notification_id FROM d)""",
                *_columns(given, done),
            )
        }
        for i in done:
            alert, channel, _, at = given[i]
            if alert.id in news:
                events[i] = [delivered(alert, channel, at)]
    failures = [i for i, (_, _, status, _) in enumerate(given) if status in FAILURES]
    if failures:
        # The sender decides what next: another channel, waiting for one, or giving up.
        await conn.execute(
            """WITH g AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[],
                                              $4::timestamptz[]) AS g(id, channel, status, at)),
                    d AS (UPDATE delivery_attempts d SET status = g.status, completed_at = g.at
                          FROM g WHERE d.notification_id = g.id AND d.channel = g.channel
                            AND d.status IN ('sending', 'sent'))
               UPDATE notifications SET status = 'queued', not_before = NULL, fallback_at = NULL
               WHERE id IN (SELECT id FROM g) AND status = 'sent'""",
            *_columns(given, failures),
        )
    return events  # created, sending, pending, sent (international: no more news will come)


def _columns(
    given: list[tuple[FamilyAlert, Channel, str, datetime]], which: list[int]
) -> tuple[list[UUID], list[str], list[str], list[datetime]]:
    """The statuses ``which`` as ``unnest``'s arrays: ids, channels, statuses, times."""
    rows = [given[i] for i in which]
    return (
        [alert.id for alert, _, _, _ in rows],
        [channel for _, channel, _, _ in rows],
        [status for _, _, status, _ in rows],
        [at for _, _, _, at in rows],
    )


@dataclass(frozen=True)
class Receipt:
    events: list[DomainEvent]
    local_authority: str
    trace_headers: dict[str, str]
    """The trace of the event the message was about: the receipt's events continue it."""


@dataclass(frozen=True)
class Status:
    """A provider's status for one message on one channel: a receipt, or its answer when asked."""

    notification_id: UUID
    channel: Channel
    provider_id: str
    status: str
    at: datetime


RECEIPTS_LOCK = f"""SELECT {ALERT_COLUMNS}, n.trace_headers::text AS trace_headers,
                        (SELECT array_agg(a.channel || ':' || a.status) FROM delivery_attempts a
                         WHERE a.notification_id = n.id) AS attempts
                    FROM unnest($1::uuid[]) AS wanted (id)
                    CROSS JOIN LATERAL (SELECT * FROM notifications WHERE id = wanted.id
                                        LIMIT 1 FOR UPDATE) AS n"""
"""The receipts' messages, locked in the order of the ids given (sorted), each looked up in the
primary key (see ``LOCK``), with their attempts' statuses as ``channel:status``. Those are read
in the statement's snapshot: a sender that committed while this waited for a lock may have
moved an attempt on from ``sending`` since; each update below checks its row's status again
(as PostgreSQL re-reads a row another transaction changed), so it is only ever a statement
that changes nothing, as the sender's record when a receipt came first."""

Attempts = dict[tuple[UUID, str], str]
"""Attempts' statuses by message and channel."""


async def receipts(conn: Connection, given: list[Status]) -> list[Receipt | None]:
    """Delivery receipts (Notify's callbacks, or its answers when asked), a few statements for
    them all (#25: five each before): the messages and their attempts locked and read in one
    statement (in the order of their ids), each attempt recorded as sent if its sender had not
    got that far, then given its status. Several for one message are applied in turn, as if each
    came alone, in the order given. Runs in the caller's transaction; None for one whose message
    (or attempt on that channel) is not known here (or to these councils)."""
    rows = await conn.fetch(RECEIPTS_LOCK, sorted({s.notification_id for s in given}))
    known = {r["id"]: (alert_of(r), json.loads(r["trace_headers"])) for r in rows}
    attempts: Attempts | None = {
        (r["id"], channel): status
        for r in rows
        for channel, _, status in (each.partition(":") for each in r["attempts"] or ())
    }
    found: list[list[DomainEvent] | None] = [None] * len(given)
    waiting = [i for i, s in enumerate(given) if s.notification_id in known]
    while waiting:  # each message's first receipt, then any second...
        turn: dict[UUID, int] = {}
        for i in waiting:
            turn.setdefault(given[i].notification_id, i)
        waiting = [i for i in waiting if i not in turn.values()]
        await _receipts_in_turn(conn, given, list(turn.values()), known, found, attempts)
        attempts = None  # the first turn changed them: read again for a second receipt
    answers: list[Receipt | None] = []
    for status, events in zip(given, found, strict=True):
        alert, trace = known.get(status.notification_id, (None, {}))
        answers.append(None if alert is None or events is None else
                       Receipt(events, alert.local_authority, trace))  # fmt: skip
    return answers


async def _receipts_in_turn(
    conn: Connection,
    given: list[Status],
    turn: list[int],
    known: dict[UUID, tuple[FamilyAlert, dict[str, str]]],
    found: list[list[DomainEvent] | None],
    attempts: Attempts | None,
) -> None:
    """The receipts ``turn`` (one a message, their messages locked): their events to
    ``found``, left None for one with no attempt on its channel. ``attempts``: their
    attempts' statuses if read already."""
    if attempts is None:
        attempts = {
            (r["notification_id"], r["channel"]): r["status"]
            for r in await conn.fetch(
                """SELECT a.notification_id, a.channel, a.status FROM delivery_attempts a
                   JOIN unnest($1::uuid[], $2::text[]) AS g(id, channel)
                       ON a.notification_id = g.id AND a.channel = g.channel""",
                [given[i].notification_id for i in turn],
                [given[i].channel for i in turn],
            )
        }
    turn = [i for i in turn if (given[i].notification_id, given[i].channel) in attempts]
    # Its sender had not recorded it yet (else nothing to record).
    sending = [i for i in turn if attempts[given[i].notification_id, given[i].channel] == "sending"]
    recorded: set[UUID] = set()
    if sending:
        handed = [
            Handed(known[given[i].notification_id][0], given[i].channel, given[i].provider_id, None)
            for i in sending
        ]
        recorded = await _record_sent(conn, handed, [given[i].at for i in sending])
    statuses = await apply_statuses(
        conn,
        [
            (known[given[i].notification_id][0], given[i].channel, given[i].status, given[i].at)
            for i in turn
        ],
    )
    for i, events in zip(turn, statuses, strict=True):
        alert = known[given[i].notification_id][0]
        first = i in sending and alert.id in recorded  # recorded as sent by the receipt
        found[i] = (sent_events(alert, given[i].channel) if first else []) + events


async def finish(
    conn: Connection, alert: FamilyAlert, status: str, *, now: datetime, reason: str | None = None
) -> None:
    """Close a message: withheld, or failed on every channel. Runs in the caller's
    transaction."""
    await conn.execute(
        """UPDATE notifications SET status = $2, completed_at = $3, last_error = $4,
               claimed_at = NULL, fallback_at = NULL
           WHERE id = $1""",
        alert.id,
        status,
        now,
        reason,
    )


async def wait_for_receipts(conn: Connection, alert: FamilyAlert) -> None:
    """Every channel was tried and one may still deliver: wait for its receipt."""
    async with conn.transaction():
        await act_for(conn, ALL)
        await conn.execute(
            """UPDATE notifications SET status = 'sent', claimed_at = NULL, fallback_at = NULL
               WHERE id = $1""",
            alert.id,
        )


@dataclass(frozen=True)
class AwaitingReceipt:
    notification_id: UUID
    channel: Channel
    provider_id: str
    local_authority: str


async def awaiting_receipt(
    conn: Connection, *, now: datetime, after: timedelta, limit: int
) -> list[AwaitingReceipt]:
    """Notify messages sent longer ago than ``after`` with no final status, not asked about
    within ``after``; marks them asked."""
    async with conn.transaction():
        await act_for(conn, ALL)
        rows = await conn.fetch(
            """UPDATE delivery_attempts a SET polled_at = $1
               FROM (SELECT notification_id, channel FROM delivery_attempts
                     WHERE status = 'sent' AND provider = 'notify' AND provider_id IS NOT NULL
                       AND sent_at < $1::timestamptz - $2::interval
                       AND coalesce(polled_at < $1::timestamptz - $2::interval, true)
                     ORDER BY sent_at LIMIT $3 FOR UPDATE SKIP LOCKED) due
               WHERE a.notification_id = due.notification_id AND a.channel = due.channel
               RETURNING a.notification_id, a.channel, a.provider_id, a.local_authority""",
            now,
            after,
            limit,
        )
    return [AwaitingReceipt(**dict(r)) for r in rows]
