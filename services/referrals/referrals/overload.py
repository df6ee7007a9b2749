"""Past its capacity the platform says so at once: intake answered 503 with ``Retry-After``,
never queued until the client gives up (issue #25).

Two bounds, each for a reason of its own:

- **Requests in flight** (``INTAKE_IN_FLIGHT`` taken in at once by a process, and
  ``INTAKE_WAITING`` waiting for one of them at most ``INTAKE_WAIT_MS``): what bounds the
  *answer*. Unbounded, every request past what the database's connections can serve waits in
  the process (its body, its span, its task: memory that grows with the rate) and is answered
  in tens of seconds, or never. Counted in the process, with no I/O, so refusing costs little
  and is answered in a millisecond.
- **Events waiting in the pipeline** (``INTAKE_BACKLOG_EVENTS``: the events on the platform's
  topics that its consumer groups have not yet committed, read from Kafka's own offsets every
  ``INTAKE_BACKLOG_INTERVAL_S``): what bounds the *work behind* the answer. The API can take
  referrals in faster than plans, specialists and notifications can see them through (a
  referral is 11-15 events consumed); every referral taken in past that point only lengthens
  the wait of the families behind it, and the time the platform needs to be back to normal once
  the load stops. The consumers' lag is chosen over the outbox's backlog (which only grows
  while Kafka is down, when the API must keep taking work into the outbox: DESIGN.md) and over
  an event's age (which says how long the last one waited, not how much waits now). The intake
  topics themselves (the intake topic, the partners') are not counted: they are work not yet
  taken in, which waits on Kafka, not work behind the answer.

While the lag cannot be read (Kafka down) it is unknown, and only the first bound holds: the
outbox keeps taking referrals. What is taken in is done: the gate stands before the request's
body is read, so nothing is half taken in, and a referral answered 201 is in the outbox.

NHS partners are not answered over HTTP: their messages wait on Kafka while the pipeline is
past its bound (``PartnerIntake`` holds before taking the next), and nothing is lost.

(Longer than most modules: the two bounds, the gate that applies them and the partner topic's
hold are one decision, when to refuse, and read best together.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Collection

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata
from prometheus_client import Counter, Gauge
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from referrals.pace import IntakePace
from referrals.public.admission import PublicIntake
from shared.broker import end_offsets, start_whole
from shared.services import SERVICES
from shared.state import ServiceState

logger = logging.getLogger(__name__)

REFUSED = Counter(
    "send_intake_refused",
    "Requests to take a referral in answered 503 at once, by why: busy (every slot in use "
    "and the queue full) or backlog (the pipeline's consumers too far behind)",
    ["reason"],
    registry=None,
)
BACKLOG = Gauge(
    "send_pipeline_backlog_events",
    "Events on the platform's topics not yet committed by their consumer groups (the intake "
    "topics left out), as the intake's overload gate last read them; -1 while unknown",
    registry=None,
)

BROKERS_MAX_AGE_S = 300.0
"""How long the brokers read by ``broker_ids`` (and the coordinators ``Cluster`` keeps) are
used before they are read again."""

BUSY = "busy: too many referrals are being taken in at once; try again in a second"
BEHIND = "busy: the platform is behind with the referrals it has; try again shortly"


class PipelineBacklog:
    """The events waiting on the namespace's consumer groups, read from Kafka every
    ``interval_s`` by its own clients (an admin client and a consumer with no group: they
    commit nothing and join nothing)."""

    def __init__(
        self,
        client_options: dict[str, object],
        *,
        namespace: str,
        intake_topics: Collection[str],
        interval_s: float,
    ) -> None:
        self.client_options = client_options
        self.namespace = namespace
        # The services' own groups (``<namespace><service>.<topic>``): a partner's consumer of
        # its outcome topic is its own business, and its lag no bound of ours.
        self.groups = tuple(f"{namespace}{service}." for service in SERVICES)
        self.intake_topics = {f"{namespace}{topic}" for topic in intake_topics}
        self.interval_s = interval_s
        self.events: int | None = None
        """The last reading; None while Kafka cannot be read."""
        self.read_again = asyncio.Event()
        """Set at the next reading (then replaced): what a held partner's message waits on."""

    async def run(self, _: ServiceState) -> None:
        """A worker of the service (``ServiceDefinition.workers``): reads until cancelled."""
        while True:
            admin = AIOKafkaAdminClient(**self.client_options)
            consumer = AIOKafkaConsumer(enable_auto_commit=False, **self.client_options)
            try:
                await start_whole(admin.start)  # cancelled at shutdown: see start_whole
                await start_whole(consumer.start)
                cluster, known_at = await Cluster.of(admin), time.monotonic()
                while True:
                    if time.monotonic() - known_at > BROKERS_MAX_AGE_S:
                        cluster, known_at = await Cluster.of(admin), time.monotonic()
                    self._set(await self.read(admin, consumer, cluster))
                    await asyncio.sleep(self.interval_s)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Kafka away: unknown until it is back
                logger.info("pipeline backlog not read: %s", type(exc).__name__)
                self._set(None)
                await asyncio.sleep(self.interval_s)
            finally:
                await _closed(consumer.stop, admin.close)

    def _set(self, events: int | None) -> None:
        self.events = events
        BACKLOG.set(-1 if events is None else events)
        self.read_again.set()
        self.read_again = asyncio.Event()

    async def read(
        self, admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer, cluster: Cluster
    ) -> int:
        """Sum over the services' groups of each partition's end offset less the group's
        committed offset there (partitions a group has not committed on yet are not counted:
        a new group starts from their beginning, which a deployment sees once). ``cluster``:
        the brokers to ask for their groups, and each group's coordinator (``Cluster``)."""
        committed: dict[TopicPartition, list[int]] = {}
        for group, *_ in await admin.list_consumer_groups(cluster.brokers):
            if not group.startswith(self.groups):
                continue
            for tp, meta in (await cluster.offsets(admin, group)).items():
                if meta.offset >= 0 and tp.topic not in self.intake_topics:
                    committed.setdefault(tp, []).append(meta.offset)
        if not committed:
            return 0
        ends = await end_offsets(consumer, list(committed))
        return sum(
            max(0, ends[tp] - offset) for tp, offsets in committed.items() for offset in offsets
        )


class Cluster:
    """What the reader asks of Kafka once per client and keeps for ``BROKERS_MAX_AGE_S``
    rather than at every reading: the brokers (``broker_ids``) and the coordinator of each
    group that has committed offsets.

    Asked afresh each time, a group's offsets cost two requests a reading, a
    ``FindCoordinator`` then the ``OffsetFetch``: with the platform's 72 consumer groups, 144
    requests a second, idle or not, in the referrals process and the broker alike (issue #25).

    A coordinator is kept only while it answers with offsets. aiokafka's
    ``list_consumer_group_offsets`` reads only the partitions' own error codes: a coordinator
    that has moved (a broker gone, ``__consumer_offsets`` reassigned) answers with a
    ``NOT_COORDINATOR`` for the whole request, which it returns as no offsets at all, as it
    does for a group that has committed none. So a kept coordinator that gives none is
    forgotten and the group's coordinator asked for again at once, in the same reading; a group
    with none committed (a subscription that has never had an event) is asked about afresh at
    every reading, as before."""

    def __init__(self, brokers: list[int]) -> None:
        self.brokers = brokers
        self.coordinators: dict[str, int] = {}

    @classmethod
    async def of(cls, admin: AIOKafkaAdminClient) -> Cluster:
        return cls(await broker_ids(admin))

    async def offsets(
        self, admin: AIOKafkaAdminClient, group: str
    ) -> dict[TopicPartition, OffsetAndMetadata]:
        """``group``'s committed offsets, from its kept coordinator when it has one."""
        kept = self.coordinators.pop(group, None)
        offsets = await admin.list_consumer_group_offsets(group, kept) if kept is not None else {}
        if not offsets:  # none kept, or the kept one gave none (moved, or none committed)
            coordinator = await admin.find_coordinator(group)
            offsets = await admin.list_consumer_group_offsets(group, coordinator)
            kept = coordinator if offsets else None
        if kept is not None:
            self.coordinators[group] = kept
        return offsets


async def broker_ids(admin: AIOKafkaAdminClient) -> list[int]:
    """The cluster's brokers, read once per client rather than at every reading.

    Without them, ``list_consumer_groups`` asks for the metadata of every topic in the
    cluster just to learn the brokers: on a broker shared with test runs (11,160 partitions)
    that was about 70 ms of the referrals process's CPU a second, 29% of its samples in a
    drain, decoding it, and as much of the broker's building it. A broker gone shows as an
    error (``run`` makes new clients and reads them again); one added is seen within
    ``BROKERS_MAX_AGE_S`` (aiokafka's own default age of metadata)."""
    cluster = await admin.describe_cluster()
    return [int(broker["node_id"]) for broker in cluster["brokers"]]


class Overload:
    """What the intake knows of the work in front of and behind it."""

    def __init__(
        self,
        in_flight: PublicIntake,
        backlog: PipelineBacklog,
        *,
        backlog_events: int,
        retry_after_s: int,
        pace: IntakePace | None = None,
    ) -> None:
        self.in_flight = in_flight
        self.pace = pace or IntakePace(most_s=1)
        self.backlog = backlog
        self.backlog_events = backlog_events
        self.retry_after_s = retry_after_s

    def behind(self) -> bool:
        """The pipeline past its bound (unknown counts as not: Kafka down, the outbox takes
        the work)."""
        return self.backlog.events is not None and self.backlog.events > self.backlog_events

    async def room_for_partners(self, most_s: float) -> None:
        """Hold a partner's next message while the pipeline is past its bound, at most
        ``most_s`` (then it is taken anyway: a consumer that never polls is thrown out of
        its group, and the partition would stall on another)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(most_s):
                while self.behind():
                    await self.backlog.read_again.wait()


class IntakeOverloadGate:
    """In front of the routes that take a referral in (``POST`` to each of ``paths``; only
    the first, ``POST /v1/referrals``, has its in-flight slots here: the public form has its
    own, ``referrals.public.admission``), outside every other middleware: 503 with
    ``Retry-After`` at once, before the body is read or a span made."""

    def __init__(self, app: ASGIApp, *, overload: Overload, paths: Collection[str]) -> None:
        self.app = app
        self.overload = overload
        self.paths = paths
        self.slotted = next(iter(paths))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        overload = self.overload
        if overload.behind():
            await self._refuse("backlog", BEHIND, overload.retry_after_s, scope, receive, send)
            return
        if scope["path"] != self.slotted:
            await self.app(scope, receive, send)
            return
        if not await overload.in_flight.admitted():
            await self._refuse("busy", BUSY, overload.pace.refuse(), scope, receive, send)
            return
        overload.pace.took()
        try:
            await self.app(scope, receive, send)
        finally:
            overload.in_flight.slots.release()

    @staticmethod
    async def _refuse(
        reason: str, detail: str, retry_after_s: int, scope: Scope, receive: Receive, send: Send
    ) -> None:
        REFUSED.labels(reason).inc()
        busy = JSONResponse(
            {"detail": detail}, status_code=503, headers={"Retry-After": str(retry_after_s)}
        )
        await busy(scope, receive, send)


async def _closed(*closers: Callable[[], Awaitable[object]]) -> None:
    """Run every closer, even when cancelled during one (a service stopping while the reader
    starts): a Kafka connection left open is a leak the garbage collector reports later. A
    cancellation is raised again once all have run."""
    cancelled: asyncio.CancelledError | None = None
    for close in closers:
        try:
            await asyncio.shield(close())
        except asyncio.CancelledError as exc:
            cancelled = exc
        except Exception:  # noqa: S110  # closing what may never have opened
            pass
    if cancelled is not None:
        raise cancelled
