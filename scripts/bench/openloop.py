"""The open-loop run: referrals POSTed at a fixed rate, each sent when the clock says, never
waiting for earlier answers; latencies count from when a request was due, so a stalled
server or generator shows in them rather than slowing the load down.

(Longer than most modules: the generator, the Retry-After honouring client and the phase's
figures share their clock and read best together.)
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg

from scripts.bench import journeys, messaging, profile
from scripts.bench.cpu import cpu_seconds
from scripts.bench.http_load import HttpConnections
from scripts.bench.phases import PhaseResult, settle
from scripts.bench.samples import referral_request
from scripts.bench.stack import BenchPlatform
from scripts.bench.stats import percentile
from scripts.bench.traffic import OffsetReader, lag, traffic

REFERRALS_PATH = "/v1/referrals"
REQUEST_TIMEOUT_S = 30
STALL_S = 30
"""After sending, waiting for the alerts stops when none came for this long."""
KEPT_UP_SECONDS = 1.0
"""Kept up: when sending stops, no more than this many seconds' worth of referrals are still
short of the family alert (what a platform that keeps pace holds in flight)."""


RETRY_FOR_S = 600
"""How long a referral answered 503 is sent again (as its ``Retry-After`` says) before the
generator gives it up."""


@dataclass(frozen=True)
class Sent:
    due: float
    """When the request was due (epoch seconds)."""
    latency_ms: float
    """The first answer's, from when the request was due."""
    status: int
    """The last answer's (201 once taken in)."""
    referral_id: UUID | None
    answers_ms: tuple[float, ...] = ()
    """Every answer's latency, each from when its attempt was due (a retry: when its
    ``Retry-After`` ran out): what "every POST answered within" is measured on."""
    refused: int = 0
    """Answers 503 with ``Retry-After`` before it was taken in."""
    done: float = 0.0
    """When the last answer came (epoch seconds)."""


class OpenLoop:
    """Sends ``count`` requests, the ``i``-th with ``body(i)``, at ``rate`` per second."""

    def __init__(
        self,
        connections: HttpConnections,
        body: Callable[[int], bytes],
        count: int,
        rate: float,
    ) -> None:
        self.connections = connections
        self.body = body
        self.count = count
        self.rate = rate
        self.tasks: list[asyncio.Task[Sent]] = []
        self.answered: list[Sent] = []
        """Answers in the order they came (a soak reads them window by window)."""
        self.late_ms = 0.0
        """How late the generator sent its latest request: over a few ms, it was starved."""

    async def dispatch(self) -> None:
        """Start every request on time; returns once the last one is sent (answers may be
        outstanding: ``answers()`` waits for them)."""
        loop = asyncio.get_running_loop()
        start, wall = loop.time(), time.time()
        for i in range(self.count):
            due = start + i / self.rate
            body = self.body(i)
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self.late_ms = max(self.late_ms, (loop.time() - due) * 1000)
            self.tasks.append(asyncio.create_task(self._post(body, due, wall + due - start)))

    async def _post(self, body: bytes, due: float, due_wall: float) -> Sent:
        """Send until taken in: a 503 with ``Retry-After`` is sent again when it says, with
        the same Idempotency-Key (kept once however often it is sent), as a client that
        honours it would; anything else is the answer."""
        loop = asyncio.get_running_loop()
        key = {"Idempotency-Key": str(uuid4())}
        answers_ms: list[float] = []
        refused, attempt_due = 0, due
        while True:
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT_S):
                    status, headers, answer = await self.connections.post(REFERRALS_PATH, body, key)
            except (OSError, asyncio.IncompleteReadError, TimeoutError):  # refused, reset, hung
                status, headers, answer = 0, {}, b""
            answers_ms.append((loop.time() - attempt_due) * 1000)
            retry_after = headers.get("retry-after")
            if status != 503 or retry_after is None or loop.time() - due > RETRY_FOR_S:
                break
            refused += 1
            await asyncio.sleep(float(retry_after))
            attempt_due = loop.time()
        referral_id = UUID(json.loads(answer)["id"]) if status == 201 else None
        sent = Sent(
            due_wall, answers_ms[0], status, referral_id, tuple(answers_ms), refused, time.time()
        )
        self.answered.append(sent)
        return sent

    async def answers(self) -> list[Sent]:
        return list(await asyncio.gather(*self.tasks))


def answers_by_kind(sent: list[Sent]) -> str:
    """The POST latencies of the phase (every answer, from when its attempt was due) split by
    what the answer was: where "every POST answered within 200 ms p99" (#25) is lost, in the
    referrals taken in or in the refusals, and in first attempts or retries."""
    refusals: list[float] = []  # every answer but a referral's last was a 503 with Retry-After
    first: list[float] = []
    final: dict[str, list[float]] = {}
    for s in sent:
        if not s.answers_ms:
            continue
        first.append(s.answers_ms[0])
        refusals.extend(s.answers_ms[:-1])
        kind = (
            "taken in (201)" if s.referral_id is not None else f"last answer {s.status or 'none'}"
        )
        final.setdefault(kind, []).append(s.answers_ms[-1])
    parts = [
        f"{kind} {len(ms):,}: {percentile(ms, 50):.0f} / {percentile(ms, 99):.0f}"
        for kind, ms in (*final.items(), ("refused (503) before", refusals), ("first tries", first))
        if ms
    ]
    return "  POST p50 / p99 ms by answer: " + "; ".join(parts)


async def open_loop_phase(
    bench: BenchPlatform,
    reader: OffsetReader,
    conn: asyncpg.Connection,
    token: str,
    rate: float,
    duration_s: float,
    profile_dir: Path | None = None,
) -> PhaseResult:
    """Send ``rate`` referrals a second for ``duration_s``, then wait for their alerts."""
    count = round(rate * duration_s)
    first = bench.take(count)
    connections = HttpConnections(
        bench.platform.url("referrals"), {"Authorization": f"Bearer {token}"}
    )
    meter = bench.meter(bench=os.getpid())
    since = await journeys.now(conn)
    offsets_before = await reader.read()
    before = meter.read()
    generator = OpenLoop(connections, referral_bodies(first), count, rate)
    profiler = profile.start(profile_dir, f"open loop {rate:g}", bench.service_pids())
    try:
        await generator.dispatch()
        backlog = count - await journeys.notified(conn, since)
        print(
            f"  sent {count} at {rate:g}/s; when sending stopped: {backlog} short of the alert, "
            f"{sum((await journeys.outbox_backlog(bench.urls)).values())} in outboxes, "
            f"{lag(await reader.read())} Kafka lag; generator at most {generator.late_ms:.0f}"
            " ms late"
        )
        sent = await generator.answers()
    finally:
        await connections.close()
    accepted = [s for s in sent if s.referral_id is not None]
    refused = sum(s.refused for s in sent)
    print(answers_by_kind(sent), flush=True)
    if refused:
        print(
            f"  503 with Retry-After: {refused} answers to {sum(s.refused > 0 for s in sent)} "
            f"referrals, sent again as it said; {len(accepted)} of {len(sent)} taken in in the "
            f"end, the last {max(s.done for s in sent) - max(s.due for s in sent):.1f} s after "
            "the last was due"
        )
    if len(accepted) < len(sent):
        statuses = Counter(s.status for s in sent if s.referral_id is None)
        said = ", ".join(f"{n} x {status or 'no answer'}" for status, n in statuses.items())
        print(f"  not accepted: {said}; see {bench.log_dir}")
    completed = await wait_for_alerts(conn, since, len(accepted))
    load_stopped = max((s.done for s in sent), default=time.time())
    if completed == len(accepted):
        print(
            f"  back to normal (every referral taken in alerted) {time.time() - load_stopped:.1f}"
            " s after the load stopped (its last answer)"
        )
    await messaging.wait_for_deliveries(bench.notify, conn, since, completed)
    profile.finish(profiler)
    offsets_after = await settle(reader)
    after = meter.read()
    used = cpu_seconds(before, after)
    until = await journeys.now(conn)
    alerts = await journeys.alerts(conn, since, until)
    alert_ms = [(alerts[s.referral_id] - s.due) * 1000 for s in accepted if s.referral_id in alerts]
    post_ms = [ms for s in sent for ms in s.answers_ms]  # every answer, retries too
    window = journeys_span(sent, alerts)
    return PhaseResult(
        name=f"open loop {rate:g}/s",
        referrals=len(accepted),
        completed=completed,
        rate=completed / window if window else None,
        seconds=window,
        post_ms=(percentile(post_ms, 50), percentile(post_ms, 99)),
        alert_ms=(percentile(alert_ms, 50), percentile(alert_ms, 99)),
        steps=await journeys.step_latencies(conn, since, until),
        backlog=backlog,
        kept_up=backlog <= rate * KEPT_UP_SECONDS and completed == len(accepted),
        failures=len(sent) - len(accepted),
        cpu_s=used,
        cpu_window_s=after.at - before.at,
        rss=bench.rss(),
        traffic=traffic(offsets_before, offsets_after),
    )


def referral_bodies(first: int) -> Callable[[int], bytes]:
    """The ``i``-th request's body: sample referral ``first + i``, as JSON."""
    today = date.today()
    return lambda i: json.dumps(referral_request(first + i, today)).encode()


def journeys_span(sent: list[Sent], alerts: dict[UUID, float]) -> float | None:
    """Seconds from the first request due to the last family alert."""
    if not sent or not alerts:
        return None
    return max(alerts.values()) - min(s.due for s in sent)


async def wait_for_alerts(
    conn: asyncpg.Connection, since: datetime, expected: int, stall_s: float = STALL_S
) -> int:
    """Wait until ``expected`` referrals stored since ``since`` reached the family alert, for
    as long as more keep arriving (a platform that fell behind catches up, so the next phase
    starts clean); gives up after ``stall_s`` without one. Returns how many did."""
    done, progressed = 0, time.monotonic()
    while True:
        now_done = await journeys.notified(conn, since)
        if now_done > done:
            done, progressed = now_done, time.monotonic()
        if done >= expected or time.monotonic() - progressed > stall_s:
            return done
        await asyncio.sleep(0.5)
