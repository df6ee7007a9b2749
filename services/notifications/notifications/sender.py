"""Sends queued messages, after the transactions that queued them have committed.

One path, whatever the number of messages: the claim commits first (``sending``); for each
message ``domain.next_step`` decides (withhold, hold for quiet hours, send through the next
channel, wait, give up), the provider being asked first about a message whose sender stopped
mid-way. The messages going out then go together: the provider's limits and every attempt
recorded in one transaction before any call (those over the limits queued again, each due when
its token will be; no transaction open during the calls), the calls side by side, then every
``sent`` and its *notification sent* event (with *notification delivered* when the answer itself
says so) committed in one transaction, one unit of work of the service's own
(``shared.unit_of_work``, each event continuing its message's trace), with the round's other
outcomes: messages withheld or given up, and what the provider said of a message whose sender
stopped. One message is a batch of one. If that commit fails it is
retried: a message is never handed over twice by this sender. If the process dies between the
call and the commit, the claim's lease runs out and the next sender asks the provider (by the
message's reference) whether it already went.

A claim holds a family's next message (and any due to go again on another channel): a family's
messages go in rounds, one per round, each round recorded before the next. One message's fault
(its council's settings missing, a bug) holds that message back a minute with the reason and
stops no other. A provider that refuses (429) or is down is paused for every replica
(``gate``): its messages stay queued and go in order per family when it recovers.

The sender wakes when a message is queued (PostgreSQL's NOTIFY), when a message it put back
(held for the provider's limits or quiet hours, or sent with a fallback) falls due, and at
least every poll interval: the safety net, and for what another replica put back (#25: a
message held for a token a second away waited for the next poll).

(Longer than most modules: one class whose steps (claim, decide, limits, attempts, calls,
record) share the sender's councils, limits, clock and concurrency; split, each part would be
handed all of them. Its SQL is in ``deliveries`` and ``gate``, a message's words in
``providers``.)
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import zip_longest
from typing import TypeVar
from uuid import UUID

import asyncpg

from notifications import deliveries, gate
from notifications.catalogue import Audience
from notifications.channels import CannotTell, Provider, Refused, Remote, Unavailable
from notifications.deliveries import Claimed, Handed
from notifications.domain import (
    Channel,
    FamilyAlert,
    GiveUp,
    Hold,
    Send,
    Withhold,
    failed,
    next_step,
    sent_events,
)
from notifications.providers import Council, Councils
from notifications.receipts import SERVICE, apply_receipt
from shared.councils import ALL, act_for
from shared.failures import Failure, classify
from shared.state import ServiceState
from shared.telemetry import continued_trace, tag_current_span
from shared.unit_of_work import UnitOfWork, Work
from shared.wakeup import Wakeup

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
T = TypeVar("T")
UNCONFIRMED = "unconfirmed: the sender stopped during the exchange"
REMEMBERED = timedelta(minutes=10)
"""How far ahead a sender remembers when the messages it put back fall due (see ``run``)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Going:
    """A claimed message whose next step is to go out on a channel."""

    item: Claimed
    council: Council
    send: Send
    provider: Provider


@dataclass(frozen=True)
class Taken:
    """A message the provider took (or may have: ``handed.note`` says so): to be recorded."""

    item: Claimed
    handed: Handed
    delivered: bool
    limit_key: str | None


@dataclass(frozen=True)
class Ended:
    """A message that goes no further: withheld, or given up on every channel."""

    item: Claimed
    end: Withhold | GiveUp
    at: datetime


@dataclass(frozen=True)
class Found:
    """A message that had gone before its sender stopped: the provider's status to record."""

    item: Claimed
    channel: Channel
    remote: Remote
    at: datetime


Outcome = Taken | Ended | Found
"""What a round records, together, in one unit of work."""


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
        record_attempts: int = 10,
        clock: Clock = utc_now,
    ) -> None:
        self.councils = councils
        self._link_for = link_for
        self._database_url = database_url
        self._wakeup = Wakeup("notifications_queued", poll_interval_s=poll_interval_s)
        self._due: list[datetime] = []
        """When messages this sender put back (held, or sent with a fallback) fall due: it
        wakes then rather than at its next poll (a heap; the poll stays for other replicas')."""
        self._lanes = councils.settings.sending_lanes
        self._lease = lease
        self._batch_size = batch_size
        self._slots = asyncio.Semaphore(councils.settings.sending_concurrency)
        """Messages handed over (or asked about) at once, across the lanes (as many as the
        threads the councils' Notify clients call from)."""
        self._record_attempts = record_attempts
        self._clock = clock
        self._burst = councils.settings.notify_burst
        self._backoff_max_s = councils.settings.provider_backoff_max_s

    async def run(self, state: ServiceState) -> None:
        """Send until cancelled, surviving database outages: ``SENDING_LANES`` claims at once,
        woken by one listening connection (made again when it is lost)."""
        while True:
            try:
                conn = await asyncpg.connect(self._database_url, timeout=10)
            except Exception as exc:
                await self._pause(exc)
                continue
            try:
                await self._wakeup.listen(conn)
                lanes = (self._lane(conn, state.work) for _ in range(self._lanes))
                await asyncio.gather(*lanes)  # until the connection is lost
            except Exception as exc:  # listening failed: the lanes pause on their own
                await self._pause(exc)
            finally:
                await conn.close(timeout=5)

    async def _lane(self, listening: asyncpg.Connection, work: Work) -> None:
        """Claim and send until nothing is due, then wait to be woken; again while the
        listening connection is open. Each lane clears the wake-up before it claims, so a
        message queued meanwhile is claimed by this lane or another, never missed. A lane
        that fails (the database away) pauses alone: the other's round is never cut short
        between handing its messages over and recording them."""
        while not listening.is_closed():
            try:
                self._wakeup.clear()
                # Until a claim finds nothing: a message sent may have a family's next one
                # behind it, due now and woken by nothing (it was queued before).
                while await self.send_due(work):
                    pass
            except Exception as exc:
                await self._pause(exc)
                continue
            await self._wakeup.wait(self._next_due_in_s())

    async def _pause(self, exc: Exception) -> None:
        """The database (or a bug) stopped this round: say so, by the error's class only, and
        try again after the poll interval."""
        logger.warning("message sender paused: %s", type(exc).__name__)
        await asyncio.sleep(self._wakeup.poll_interval_s)

    def _falls_due(self, *at: datetime | None) -> None:
        """Messages put back until ``at``: wake then (``run``). Only those due within
        ``REMEMBERED``: a fallback days away is found by a poll then, not kept meanwhile."""
        horizon = self._clock() + REMEMBERED
        for when in at:
            if when is not None and when <= horizon:
                heapq.heappush(self._due, when)

    def _next_due_in_s(self) -> float | None:
        """Seconds until the soonest message this sender put back falls due (None: none)."""
        now = self._clock()
        while self._due and self._due[0] <= now:
            heapq.heappop(self._due)  # due now: the claim just made took it (or another did)
        return (self._due[0] - now).total_seconds() if self._due else None

    async def send_due(self, work: Work) -> int:
        """Claim and send one batch; returns how many were claimed. What went is recorded
        through ``work``, the service's units of work."""
        pool = work.pool()
        async with pool.acquire() as conn:
            claimed = await deliveries.claim_due(
                conn, now=self._clock(), limit=self._batch_size, lease=self._lease
            )
        families: dict[tuple[UUID, Audience], list[Claimed]] = defaultdict(list)
        for item in claimed:
            families[(item.alert.referral_id, item.alert.audience)].append(item)
        for round_ in zip_longest(*families.values()):
            await self._send(pool, work, [item for item in round_ if item is not None])
        return len(claimed)

    async def _send(self, pool: asyncpg.Pool, work: Work, items: list[Claimed]) -> None:
        """Each message's next step, then those going out together (module docstring). An
        outage is raised only after what was handed over is recorded."""
        steps, outage = await self._each(pool, [(i, self._next(pool, i)) for i in items])
        # Taken ones are unconfirmed (their sender stopped mid-way)
        outcomes: list[Outcome] = [s for s in steps if isinstance(s, Taken | Ended | Found)]
        going = await self._within_limits(pool, [s for s in steps if isinstance(s, Going)])
        if going:
            calls = [(g.item, self._hand_over(pool, g)) for g in going]
            handed, later = await self._each(pool, calls)
            outcomes += [t for t in handed if t is not None]
            outage = outage or later
        if outcomes:
            await self._record(work, outcomes)
        if outage is not None:
            raise outage  # the database is away: the whole sender pauses

    async def _each(
        self, pool: asyncpg.Pool, work: Sequence[tuple[Claimed, Awaitable[T]]]
    ) -> tuple[list[T], BaseException | None]:
        """Each message's ``work`` side by side (``SENDING_CONCURRENCY`` at once, across the
        lanes), in its own trace: what the work that ended returned, and the first outage
        met."""
        slots = self._slots

        async def one(item: Claimed, job: Awaitable[T]) -> list[T]:
            async with slots:
                with continued_trace(item.trace_headers):
                    tag_current_span(referral_id=str(item.alert.referral_id))
                    try:
                        return [await job]
                    except Exception as exc:
                        await self._failed(pool, item.alert, exc)
                        return []

        outcomes = await asyncio.gather(*(one(i, j) for i, j in work), return_exceptions=True)
        outage = next((o for o in outcomes if isinstance(o, BaseException)), None)
        return [r for o in outcomes if not isinstance(o, BaseException) for r in o], outage

    async def _failed(self, pool: asyncpg.Pool, alert: FamilyAlert, exc: Exception) -> None:
        if classify(exc) is not Failure.PERMANENT:
            raise exc
        # One message's fault (settings changed under it, a bug) must not hold up every other
        # family's: it waits a minute and is tried again.
        logger.error("message %s failed: %s", alert.id, type(exc).__name__)
        until = self._clock() + timedelta(minutes=1)
        async with pool.acquire() as conn:
            await deliveries.release(
                conn, alert, until=until, reason=f"error: {type(exc).__name__}"
            )
        self._falls_due(until)

    async def _next(self, pool: asyncpg.Pool, item: Claimed) -> Going | Outcome | None:
        """What to do with the message: send it (``Going``), record what became of it
        (``Taken``: it may have gone before its sender stopped; ``Found``: it had; ``Ended``),
        or nothing more (done here)."""
        alert, now = item.alert, self._clock()
        council = self.councils.council(alert.local_authority)
        tried, in_flight = item.tried(), item.in_flight
        if in_flight is not None:
            provider = council.provider(in_flight.provider)
            try:
                remote = await provider.find(alert.id, in_flight.channel)
            except CannotTell:
                handed = Handed(alert, in_flight.channel, None, None, note=UNCONFIRMED)
                return Taken(item, handed, False, provider.limit_key)
            except Unavailable as exc:
                await self._unavailable(pool, alert, provider, exc, None)
                return None
            if remote is not None:
                logger.info("message %s had gone before its sender stopped", alert.id)
                return Found(item, in_flight.channel, remote, now)
            tried = [t for t in tried if t.channel != in_flight.channel]  # it never went
        decision = next_step(alert, council.reach(item), council.policy, tried, now)
        if isinstance(decision, Send):
            return Going(item, council, decision, council.provider(decision.provider))
        if isinstance(decision, Withhold | GiveUp):
            return Ended(item, decision, now)
        async with pool.acquire() as conn:
            if isinstance(decision, Hold):
                await deliveries.release(conn, alert, until=decision.until, reason=decision.reason)
                self._falls_due(decision.until)
            else:
                await deliveries.wait_for_receipts(conn, alert)
        return None

    async def _within_limits(self, pool: asyncpg.Pool, going: list[Going]) -> list[Going]:
        """The messages a provider's limits let go now (the oldest first), their attempts
        recorded in the transaction that takes their tokens (one commit); the others are put
        back, each due when its token will be there, rather than claimed again and again
        meanwhile. Buckets are taken in the order of their keys: two senders never each hold
        one the other waits for."""
        if not going:
            return going
        limited: dict[str, list[Going]] = defaultdict(list)
        for g in going:
            if g.provider.limit_key is not None:
                limited[g.provider.limit_key].append(g)
        now, held = self._clock(), list[tuple[Going, datetime]]()
        async with pool.acquire() as conn, conn.transaction():
            for key in sorted(limited):
                waiting = limited[key]
                granted, waits = await gate.take_many(
                    conn, key, len(waiting), now=now,
                    per_minute=waiting[0].provider.rate_per_minute, burst=self._burst,
                )  # fmt: skip
                held += [
                    (g, now + timedelta(seconds=s))
                    for g, s in zip(waiting[granted:], waits, strict=True)
                ]
            if held:
                await act_for(conn, ALL)  # the service's own work, across its councils
                await deliveries.lock(conn, [g.item.alert.id for g in going])  # in id order
                await deliveries.hold_each(
                    conn, [(g.item.alert, until) for g, until in held], reason="rate-limit"
                )
                later = {g.item.alert.id for g, _ in held}
                self._falls_due(*(until for _, until in held))
                going = [g for g in going if g.item.alert.id not in later]
            if going:
                await deliveries.start_attempts(
                    conn, [(g.item.alert, g.send.channel, g.provider.name) for g in going], now
                )
        return going

    async def _hand_over(self, pool: asyncpg.Pool, going: Going) -> Taken | None:
        alert, channel, provider = going.item.alert, going.send.channel, going.provider
        try:
            link = self._link_for(alert, going.item.link_generation)
            accepted = await provider.send(going.council.outgoing(going.item, going.send, link))
        except Refused as exc:
            logger.warning("message %s refused on %s: %s", alert.id, channel, exc.reason)
            async with pool.acquire() as conn:
                await deliveries.refused(
                    conn, alert, channel, exc.status, exc.reason, self._clock()
                )
            return None
        except Unavailable as exc:
            await self._unavailable(pool, alert, provider, exc, channel)
            return None
        handed = Handed(alert, channel, accepted.provider_id, going.send.fallback_at)
        return Taken(going.item, handed, accepted.delivered, provider.limit_key)

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
        self._falls_due(until)

    async def _record(self, work: Work, outcomes: list[Outcome]) -> None:
        """The round's outcomes: the messages out are recorded, never resent. A message that
        cannot be recorded (a bug) stops no other's record: each is then recorded alone, and
        one that still cannot be is left to its lease (the next sender asks the provider about
        it, or decides again)."""
        for attempt in range(1, self._record_attempts + 1):
            try:
                async with work.begin(SERVICE, councils=ALL) as uow:  # the service's own work
                    await self._outcomes(uow, outcomes)
                # A message sent with a fallback goes again through its next channel then.
                self._falls_due(*(o.handed.fallback_at for o in outcomes if isinstance(o, Taken)))
                return
            except Exception as exc:
                if classify(exc) is Failure.PERMANENT:
                    break
                if attempt == self._record_attempts:
                    raise
                logger.warning(
                    "%d messages' outcomes, recording them failed: %s",
                    len(outcomes), type(exc).__name__,
                )  # fmt: skip
                await asyncio.sleep(min(0.1 * 2**attempt, 5))
        if len(outcomes) > 1:
            for one in outcomes:
                await self._record(work, [one])
            return
        logger.error("message %s: recording what became of it failed", outcomes[0].item.alert.id)

    async def _outcomes(self, uow: UnitOfWork, outcomes: list[Outcome]) -> None:
        """Every outcome of a round and its events, in the one unit of work ``uow``."""
        now, conn = self._clock(), uow.conn
        taken = [o for o in outcomes if isinstance(o, Taken)]
        recorded = (
            await deliveries.mark_sent(conn, [t.handed for t in taken], now=now) if taken else set()
        )
        mine = [t for t in taken if t.item.alert.id in recorded]  # else its receipt came first
        # Those the provider's answer said were delivered (the log channel): one set of
        # statements for them all, a message each at most (a round holds one a family).
        delivered = [t for t in mine if t.delivered]
        said = await deliveries.apply_statuses(
            conn, [(t.item.alert, t.handed.channel, "delivered", now) for t in delivered]
        )
        news = {id(t): events for t, events in zip(delivered, said, strict=True)}
        for t in mine:
            alert = t.item.alert
            events = sent_events(alert, t.handed.channel) + news.get(id(t), [])  # family's only
            uow.add(*events, local_authority=alert.local_authority, trace=t.item.trace_headers)
        for key in sorted({t.limit_key for t in taken if t.limit_key is not None}):
            await gate.recovered(conn, key)
        for o in outcomes:
            if isinstance(o, Found):
                await apply_receipt(uow, o.item.alert.id, o.channel, o.remote, o.at)
            elif isinstance(o, Ended):
                await self._end(uow, o)

    @staticmethod
    async def _end(uow: UnitOfWork, ended: Ended) -> None:
        alert, end = ended.item.alert, ended.end
        status, reason = (
            ("withheld", end.reason) if isinstance(end, Withhold) else (end.status, None)
        )
        if isinstance(end, GiveUp):
            logger.warning("message %s could not be delivered on any channel", alert.id)
        await deliveries.finish(uow.conn, alert, status, now=ended.at, reason=reason)
        if isinstance(end, GiveUp):
            uow.add(failed(alert, end), local_authority=alert.local_authority)
