"""CPU time of a benchmark's processes between two moments: the services (or bare pipeline
stages), the bench itself, the Kafka broker and the PostgreSQL server."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from scripts.bench.processes import (
    CLOCK_TICKS_PER_S,
    children,
    command_line,
    find_kafka_broker,
    machine_busy_ticks,
    parse_backend_title,
    read_stat,
)
from shared.services import LOCAL_SERVICE_USER

KAFKA = "Kafka"
NOTIFY = "Notify"
"""The run's local GOV.UK Notify (``messaging``): load, like the bench, not the platform."""
POSTGRES = "PostgreSQL"
"""The whole server: every backend and background process, this run's or not."""
POSTGRES_RUN = "PostgreSQL (this run)"
"""The backends connected to this run's databases as the services' role."""
MACHINE = "machine"
"""Every CPU of the machine, busy with anything: what is left after the labels above is the
load of everything else running (other people's test suites, builds)."""

ProcessKey = tuple[int, int]
"""(pid, start ticks): a process, even if its pid is later reused."""


@dataclass(frozen=True)
class CpuReading:
    """Cumulative CPU ticks of each process under each label, at one moment."""

    at: float  # time.time(): comparable with PostgreSQL's timestamps on this machine
    ticks: Mapping[str, Mapping[ProcessKey, int]]


def others_cpu_s(used: Mapping[str, float]) -> float | None:
    """CPU seconds the machine spent on anything but the labelled processes (``used`` from
    ``cpu_seconds``); None without a machine reading."""
    if MACHINE not in used:
        return None
    ours = sum(v for k, v in used.items() if k not in (MACHINE, POSTGRES_RUN))
    return max(0.0, used[MACHINE] - ours)


def cpu_seconds(before: CpuReading, after: CpuReading) -> dict[str, float]:
    """CPU seconds each label used between two readings. A process that started in between
    counts whole; one that ended in between is lost (the services, stages and pooled
    backends live through a phase; the server label counts exited backends itself)."""
    used: dict[str, float] = {}
    for label, processes in after.ticks.items():
        earlier = before.ticks.get(label, {})
        ticks = sum(t - earlier.get(key, 0) for key, t in processes.items())
        used[label] = ticks / CLOCK_TICKS_PER_S
    return used


@dataclass
class CpuMeter:
    """Reads the CPU time of ``processes`` (label -> pid), the local Kafka broker (found once,
    in /proc) and the PostgreSQL server whose postmaster is ``postmaster_pid``
    (``server.find_postmaster``: a machine may run more than one); either absent when it runs
    elsewhere."""

    processes: Mapping[str, int | Sequence[int]]
    """A label's pid, or its pids (a service split into processes: their sum)."""
    postmaster_pid: int | None
    databases: frozenset[str] = frozenset()
    database_user: str = LOCAL_SERVICE_USER
    kafka_pid: int | None = field(default_factory=find_kafka_broker)

    def read(self) -> CpuReading:
        ticks: dict[str, dict[ProcessKey, int]] = {}
        for label, pids in self.processes.items():
            ticks[label] = {}
            for pid in (pids,) if isinstance(pids, int) else pids:
                ticks[label].update(_own(pid))
        if self.kafka_pid is not None:
            ticks[KAFKA] = _own(self.kafka_pid)
        if self.postmaster_pid is not None:
            ticks[POSTGRES], ticks[POSTGRES_RUN] = self._postgres(self.postmaster_pid)
        ticks[MACHINE] = {(0, 0): machine_busy_ticks()}
        return CpuReading(at=time.time(), ticks=ticks)

    def _postgres(self, postmaster: int) -> tuple[dict[ProcessKey, int], dict[ProcessKey, int]]:
        stat = read_stat(postmaster)
        if stat is None:
            return {}, {}
        server = stat.cpu_ticks + stat.reaped_children_ticks
        run: dict[ProcessKey, int] = {}
        for pid in children(postmaster):
            child = read_stat(pid)
            if child is None:
                continue
            server += child.cpu_ticks
            backend = parse_backend_title(command_line(pid))
            if (
                backend is not None
                and backend[0] == self.database_user
                and (backend[1] in self.databases)
            ):
                run[(pid, child.start_ticks)] = child.cpu_ticks
        return {(postmaster, stat.start_ticks): server}, run


def _own(pid: int) -> dict[ProcessKey, int]:
    stat = read_stat(pid)
    return {} if stat is None else {(pid, stat.start_ticks): stat.cpu_ticks}
