"""What one phase of the bench (the drain, an open-loop rate) found, and the steps every
phase ends with."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType

from scripts.bench.cpu import CpuReading
from scripts.bench.journeys import StepLatency
from scripts.bench.traffic import OffsetReader, Offsets, Traffic, lag


@dataclass(frozen=True)
class PhaseResult:
    name: str
    referrals: int
    """Referrals the phase put in: events waiting (drain) or POSTs answered 201 (open loop)."""
    completed: int
    """Of those, how many reached the family alert before the phase gave up waiting."""
    rate: float | None
    """Referrals per second end to end: ``completed`` over the time from the first referral
    stored (drain) or sent (open loop) to the last family alert."""
    seconds: float | None
    """Drain: from starting the services to the last alert. Open loop: the same span as
    ``rate``."""
    post_ms: tuple[float, float] | None
    """POST latency p50, p99, from the moment the request was due (open loop only)."""
    alert_ms: tuple[float, float] | None
    """Family alert p50, p99: after the POST was due (open loop), after the referral was
    stored (drain)."""
    steps: Mapping[str, StepLatency]
    backlog: int | None
    """Open loop: referrals sent but not yet at the family alert when sending stopped. Drain:
    referrals left when it gave up waiting."""
    kept_up: bool | None
    failures: int
    """POSTs not answered 201."""
    cpu_s: Mapping[str, float]
    """CPU seconds by label (``cpu.cpu_seconds``) over the phase's CPU window."""
    cpu_window_s: float
    rss: Mapping[str, int | None]
    traffic: Traffic


async def settle(reader: OffsetReader, timeout_s: float = 30) -> Offsets:
    """The namespace's offsets once every consumer group has committed everything it reads
    (the last steps of the last journeys land after the alert), or after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        offsets = await reader.read()
        if lag(offsets) == 0 or time.monotonic() > deadline:
            return offsets
        await asyncio.sleep(0.2)


class Sampler:
    """Takes CPU readings in a thread of its own while the main thread is blocked (starting
    the services), so a phase can start its CPU window at the first referral stored."""

    def __init__(self, read: Callable[[], CpuReading], interval_s: float = 0.2) -> None:
        self.readings: list[CpuReading] = []
        self._read = read
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.readings.append(self._read())

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()


def reading_before(readings: list[CpuReading], moment: float) -> CpuReading:
    """The last reading taken at or before ``moment`` (epoch seconds), else the first."""
    earlier = [r for r in readings if r.at <= moment]
    return earlier[-1] if earlier else readings[0]
