"""Sends queued messages, after the transactions that queued them have committed.

For each message: the claim commits first (``sending``); ``domain.next_step`` decides (withhold,
hold for quiet hours, send through the next channel, wait, give up); an attempt on a channel is
recorded before the provider is called, with no transaction open; then ``sent`` and the
*notification sent* event commit together (with *notification delivered* when the answer itself
says so). If that commit fails it is retried: the message is never handed over twice by this
sender. If the process dies between the call and the commit, the claim's lease runs out and the
next sender asks the provider (by the message's reference) whether it already went.

A provider that refuses (429) or is down is paused for every replica (``gate``): its messages
stay queued, each family's first unfinished message holding back the ones after it, and go in
order when it recovers.

(Longer than most modules: one class, ``AlertSender``, whose two paths (messages sent together
in one provider call per batch where nothing needs deciding one by one, and the one-at-a-time
path for the rest) share its channels, limits and clock. Splitting them would pass all of that
state between modules; the SQL they use is in ``deliveries``.)
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg

from notifications import deliveries, gate
from notifications.channels import Accepted, CannotTell, Outgoing, Provider, Refused, Unavailable
from notifications.deliveries import Claimed, Handed
from notifications.domain import (
    Channel,
    FamilyAlert,
    GiveUp,
    Hold,
    Send,
    Wait,
    Withhold,
    failed,
    next_step,
    reference,
    sent,
)
from notifications.providers import Council, Councils
from notifications.receipts import record_receipt
from notifications.templates import personalisation
from shared.councils import ALL, act_for
from shared.db import Database
from shared.events import DomainEvent
from shared.failures import Failure, classify
from shared.outbox import Outbox
from shared.telemetry import continued_trace, tag_current_span
from shared.wakeup import Wakeup

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Plain:
    """A claimed message whose next step is to go out on a channel."""

    item: Claimed
    council: Council
    send: Send
    provider: Provider


class AlertSender:
    """The notifications service's sending worker (see the module docstring)."""

    def __init__(
        self,
        councils: Councils,
        *,
        link_for: Callable[[FamilyAlert, int], str],
        database_url: str,
        poll_interval_s: float = 1.0,
        lease: timedelta = timedelta(seconds=60),
        batch_size: int = 200,
        concurrency: int = 8,
        record_attempts: int = 10,
        clock: Clock = utc_now,
    ) -> None:
        self.councils = councils
        self._link_for = link_for
        self._database_url = database_url
        self._wakeup = Wakeup("notifications_queued", poll_interval_s=poll_interval_s)
        self._lease = lease
        self._batch_size = batch_size
        self._concurrency = concurrency
        self._record_attempts = record_attempts
        self._clock = clock
        settings = councils.settings
        self._burst = settings.notify_burst
        self._backoff_max_s = settings.provider_backoff_max_s

    async def run(self, database: Database, outbox: Outbox) -> None:
        """Send until cancelled, surviving database outages."""
        while True:
            try:
                conn = await asyncpg.connect(self._database_url, timeout=10)
                try:
                    await self._wakeup.listen(conn)
                    while not conn.is_closed():
                        self._wakeup.clear()
                        while await self.send_due(database.pool(), outbox) == self._batch_size:
                            pass
                        await self._wakeup.wait()
                finally:
                    await conn.close(timeout=5)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("message sender paused: %s", type(exc).__name__)
                await asyncio.sleep(self._wakeup.poll_interval_s)

    async def send_due(self, pool: asyncpg.Pool, outbox: Outbox) -> int:
        """Claim and handle one batch; returns how many were claimed."""
        async with pool.acquire() as conn:
            claimed = await deliveries.claim_due(
                conn, now=self._clock(), limit=self._batch_size, lease=self._lease
            )
        # Families are independent: their messages go side by side (each family's one at a
        # time, in order: a claim holds at most one message of a family and audience).
        families: dict[tuple[UUID, object], list[Claimed]] = defaultdict(list)
        for item in claimed:
            families[(item.alert.referral_id, item.alert.audience)].append(item)
        # The common case, a family's one message going out on a channel, goes together with
        # the others: one transaction records all their attempts, one all their sends.
        together = [
            plain
            for items in families.values()
            if len(items) == 1 and (plain := self._plain_send(items[0])) is not None
        ]
        if together:
            await self._send_together(pool, outbox, together)
            done = {p.item.alert.id for p in together}
            families = {k: v for k, v in families.items() if v[0].alert.id not in done}
        gate_ = asyncio.Semaphore(self._concurrency)

        async def one_family(items: list[Claimed]) -> None:
            async with gate_:
                for item in items:
                    await self._handle_one(pool, outbox, item)

        outcomes = await asyncio.gather(
            *(one_family(items) for items in families.values()), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome  # the database is away: the whole sender pauses
        return len(claimed)

    async def _handle_one(self, pool: asyncpg.Pool, outbox: Outbox, item: Claimed) -> None:
        with continued_trace(item.trace_headers):
            tag_current_span(referral_id=str(item.alert.referral_id))
            try:
                await self._handle(pool, outbox, item)
            except Exception as exc:
                await self._failed(pool, item.alert, exc)

    async def _failed(self, pool: asyncpg.Pool, alert: FamilyAlert, exc: Exception) -> None:
        if classify(exc) is not Failure.PERMANENT:
            raise exc
        # One message's fault (settings changed under it, a bug) must not hold up every other
        # family's: it waits a minute and is tried again.
        logger.error("message %s failed: %s", alert.id, type(exc).__name__)
        async with pool.acquire() as conn:
            await deliveries.release(
                conn, alert, until=self._clock() + timedelta(minutes=1),
                reason=f"error: {type(exc).__name__}",
            )  # fmt: skip

    def _plain_send(self, item: Claimed) -> Plain | None:
        """The message, if its next step is simply to go out on a channel (none in flight).
        A message whose step cannot be worked out here (its council's settings missing, a bug)
        is left to the one-at-a-time path, which holds it back with the reason: one message's
        fault must not stop the others claimed with it."""
        if item.in_flight is not None:
            return None
        alert = item.alert
        try:
            council = self.councils.council(alert.local_authority)
            decision = next_step(
                alert, council.reach(item), council.policy, item.tried(), self._clock()
            )
            if not isinstance(decision, Send):
                return None
            return Plain(item, council, decision, council.provider(decision.provider))
        except Exception:  # handled, with its reason, by _handle_one
            return None

    async def _send_together(self, pool: asyncpg.Pool, outbox: Outbox, sends: list[Plain]) -> None:
        """``_send`` for many families' messages at once, with the same order of records:
        every attempt committed before any call, each message handed over once, then every
        send and its event committed together."""
        now = self._clock()
        sends = await self._within_limits(pool, sends, now)
        if not sends:
            return
        async with pool.acquire() as conn:
            await deliveries.start_attempts(
                conn, [(p.item.alert, p.send.channel, p.provider.name) for p in sends], now
            )
        gate_ = asyncio.Semaphore(self._concurrency)

        async def hand_over(plain: Plain) -> tuple[Plain, Accepted] | None:
            alert = plain.item.alert
            async with gate_:
                with continued_trace(plain.item.trace_headers):
                    tag_current_span(referral_id=str(alert.referral_id))
                    try:
                        return plain, await plain.provider.send(
                            self._message(plain.item, plain.council, plain.send)
                        )
                    except Refused as exc:
                        logger.warning("message %s refused: %s", alert.id, exc.reason)
                        async with pool.acquire() as conn:
                            await deliveries.refused(
                                conn, alert, plain.send.channel, exc.status, exc.reason,
                                self._clock(),
                            )  # fmt: skip
                    except Unavailable as exc:
                        await self._unavailable(
                            pool, alert, plain.provider, exc, plain.send.channel
                        )
                    except Exception as exc:
                        await self._failed(pool, alert, exc)
                    return None

        outcomes = await asyncio.gather(*(hand_over(p) for p in sends), return_exceptions=True)
        handed = [o for o in outcomes if isinstance(o, tuple)]
        if handed:
            await self._record_together(pool, outbox, handed)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome  # the database is away: the whole sender pauses

    async def _within_limits(
        self, pool: asyncpg.Pool, sends: list[Plain], now: datetime
    ) -> list[Plain]:
        """The sends a provider's limits let go now; the others wait their turn."""
        limited = [p for p in sends if p.provider.limit_key is not None]
        if not limited:
            return sends
        waits: dict[UUID, float] = {}
        async with pool.acquire() as conn, conn.transaction():
            for p in limited:
                assert p.provider.limit_key is not None  # filtered above
                waits[p.item.alert.id] = await gate.take(
                    conn, p.provider.limit_key, now=now,
                    per_minute=p.provider.rate_per_minute, burst=self._burst,
                )  # fmt: skip
        held = [p for p in limited if waits[p.item.alert.id] > 0]
        if held:
            async with pool.acquire() as conn:
                for p in held:
                    until = now + timedelta(seconds=waits[p.item.alert.id])
                    await deliveries.release(conn, p.item.alert, until=until, reason="rate-limit")
        return [p for p in sends if waits.get(p.item.alert.id, 0) <= 0]

    async def _record_together(
        self, pool: asyncpg.Pool, outbox: Outbox, handed: list[tuple[Plain, Accepted]]
    ) -> None:
        """``_record`` for many: the messages are out; record them, never resending."""
        rows = [
            Handed(p.item.alert, p.send.channel, accepted.provider_id, p.send.fallback_at)
            for p, accepted in handed
        ]
        limit_keys = {p.provider.limit_key for p, _ in handed} - {None}
        for attempt in range(1, self._record_attempts + 1):
            try:
                now = self._clock()
                async with pool.acquire() as conn, conn.transaction():
                    await act_for(conn, ALL)  # the service's own work
                    recorded = await deliveries.mark_sent_many(conn, rows, now=now)
                    for plain, accepted in handed:
                        alert, channel = plain.item.alert, plain.send.channel
                        if alert.id not in recorded:
                            continue
                        events: list[DomainEvent] = [sent(alert, channel)]
                        if accepted.delivered:
                            events += await deliveries.apply_status(
                                conn, alert, channel, "delivered", now
                            )
                        await outbox.add(
                            conn, events, local_authority=alert.local_authority,
                            trace=plain.item.trace_headers,
                        )  # fmt: skip
                    for key in sorted(k for k in limit_keys if k is not None):
                        await gate.recovered(conn, key)
                return
            except Exception as exc:
                if classify(exc) is Failure.PERMANENT or attempt == self._record_attempts:
                    raise
                logger.warning(
                    "%d messages sent, recording them failed: %s", len(handed), type(exc).__name__
                )
                await asyncio.sleep(min(0.1 * 2**attempt, 5))

    async def _handle(self, pool: asyncpg.Pool, outbox: Outbox, item: Claimed) -> None:
        alert, now = item.alert, self._clock()
        council = self.councils.council(alert.local_authority)
        tried = item.tried()
        in_flight = item.in_flight
        if in_flight is not None:
            provider = council.provider(in_flight.provider)
            try:
                remote = await provider.find(alert.id, in_flight.channel)
            except CannotTell:
                note = "unconfirmed: the sender stopped during the exchange"
                await self._record(
                    pool, outbox, alert, in_flight.channel, Accepted(None), None, note
                )
                return
            except Unavailable as exc:
                await self._unavailable(pool, alert, provider, exc, None)
                return
            if remote is not None:
                logger.info("message %s had gone before its sender stopped", alert.id)
                await record_receipt(pool, outbox, alert.id, in_flight.channel, remote, now)
                return
            tried = [t for t in tried if t.channel != in_flight.channel]  # it never went
        decision = next_step(alert, council.reach(item), council.policy, tried, now)
        if isinstance(decision, Send):
            await self._send(pool, outbox, item, council, decision)
        elif isinstance(decision, Hold):
            async with pool.acquire() as conn:
                await deliveries.release(conn, alert, until=decision.until, reason=decision.reason)
        elif isinstance(decision, Wait):
            async with pool.acquire() as conn:
                await deliveries.wait_for_receipts(conn, alert)
        elif isinstance(decision, Withhold):
            await self._commit(pool, outbox, alert, [], "withheld", decision.reason)
        elif isinstance(decision, GiveUp):
            logger.warning("message %s could not be delivered on any channel", alert.id)
            await self._commit(pool, outbox, alert, [failed(alert, decision)], decision.status)

    async def _send(
        self, pool: asyncpg.Pool, outbox: Outbox, item: Claimed, council: Council, send: Send
    ) -> None:
        alert, now = item.alert, self._clock()
        provider = council.provider(send.provider)
        if provider.limit_key is not None:
            async with pool.acquire() as conn, conn.transaction():
                wait_s = await gate.take(
                    conn, provider.limit_key, now=now,
                    per_minute=provider.rate_per_minute, burst=self._burst,
                )  # fmt: skip
            if wait_s > 0:
                async with pool.acquire() as conn:
                    await deliveries.release(
                        conn, alert, until=now + timedelta(seconds=wait_s), reason="rate-limit"
                    )
                return
        async with pool.acquire() as conn:
            await deliveries.start_attempt(conn, alert, send.channel, provider.name, now)
        try:
            accepted = await provider.send(self._message(item, council, send))
        except Refused as exc:
            logger.warning("message %s refused on %s: %s", alert.id, send.channel, exc.reason)
            async with pool.acquire() as conn:
                await deliveries.refused(
                    conn, alert, send.channel, exc.status, exc.reason, self._clock()
                )
            return
        except Unavailable as exc:
            await self._unavailable(pool, alert, provider, exc, send.channel)
            return
        await self._record(pool, outbox, alert, send.channel, accepted, send.fallback_at)

    def _message(self, item: Claimed, council: Council, send: Send) -> Outgoing:
        alert, reach = item.alert, council.reach(item)
        # The family's language where the council has this message in it, else English: the
        # words and the phrases in them (a reason, a deadline) in one language.
        language = council.settings.language_for(reach.language, send.channel, alert.template)
        return Outgoing(
            notification_id=alert.id,
            referral_id=alert.referral_id,
            channel=send.channel,
            template=alert.template,
            language=language,
            fields=personalisation(
                reference=reference(alert.referral_id),
                link=self._link_for(alert, item.link_generation),
                young_person=reach.young_person,
                details=dict(alert.details),
                language=language,
            ),
            to=reach.email if send.channel == "email" else reach.phone,
            address_lines=reach.address_lines if send.channel == "letter" else (),
        )

    async def _unavailable(
        self,
        pool: asyncpg.Pool,
        alert: FamilyAlert,
        provider: Provider,
        exc: Unavailable,
        channel: Channel | None,
    ) -> None:
        """Keep the message queued until the provider may be asked again; the attempt is
        dropped only if it certainly did not go (else the provider is asked first)."""
        now = self._clock()
        logger.warning("message %s waits: %s unavailable (%s)", alert.id, provider.name, exc.reason)
        async with pool.acquire() as conn:
            until = now + timedelta(seconds=1)
            if provider.limit_key is not None:
                async with conn.transaction():
                    until = await gate.pause(
                        conn, provider.limit_key, now=now,
                        max_s=self._backoff_max_s, retry_after_s=exc.retry_after_s,
                    )  # fmt: skip
            await deliveries.release(
                conn, alert, until=until,
                reason="rate-limit" if exc.rate_limited else "provider-unavailable",
                drop_attempt=channel if exc.not_sent else None,
            )  # fmt: skip

    async def _record(
        self,
        pool: asyncpg.Pool,
        outbox: Outbox,
        alert: FamilyAlert,
        channel: Channel,
        accepted: Accepted,
        fallback_at: datetime | None,
        note: str | None = None,
    ) -> None:
        # The message is out: record it, retrying while the database heals, never resending.
        provider_key = self.councils.council(alert.local_authority).policy.providers.get(channel)
        for attempt in range(1, self._record_attempts + 1):
            try:
                now = self._clock()
                async with pool.acquire() as conn, conn.transaction():
                    await act_for(conn, ALL)  # the service's own work
                    events = await deliveries.mark_sent(
                        conn, alert, channel, provider_id=accepted.provider_id, now=now,
                        fallback_at=fallback_at, note=note,
                    )  # fmt: skip
                    if accepted.delivered:
                        events += await deliveries.apply_status(
                            conn, alert, channel, "delivered", now
                        )
                    limit_key = self._limit_key(alert, provider_key)
                    if limit_key is not None:
                        await gate.recovered(conn, limit_key)
                    await outbox.add(conn, events, local_authority=alert.local_authority)
                return
            except Exception as exc:
                if classify(exc) is Failure.PERMANENT or attempt == self._record_attempts:
                    raise
                logger.warning(
                    "message %s sent, recording it failed: %s", alert.id, type(exc).__name__
                )
                await asyncio.sleep(min(0.1 * 2**attempt, 5))

    def _limit_key(self, alert: FamilyAlert, provider_name: str | None) -> str | None:
        if provider_name is None:
            return None
        council = self.councils.council(alert.local_authority)
        return council.provider(provider_name).limit_key

    async def _commit(
        self,
        pool: asyncpg.Pool,
        outbox: Outbox,
        alert: FamilyAlert,
        events: list[DomainEvent],
        status: str,
        reason: str | None = None,
    ) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await act_for(conn, ALL)
            await deliveries.finish(conn, alert, status, now=self._clock(), reason=reason)
            await outbox.add(conn, events, local_authority=alert.local_authority)
