"""CPU time and resident memory of processes, read from /proc (Linux).

CPU time is what the kernel charged a process (user + system, all its threads), so a figure
is the process's own work whatever else the machine was doing; wall-clock rates are not.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
KAFKA_MAIN_CLASS = "kafka.Kafka"


@dataclass(frozen=True)
class ProcessStat:
    """What /proc/<pid>/stat says about one process."""

    pid: int
    comm: str
    ppid: int
    cpu_ticks: int
    """utime + stime: the process itself, every thread."""
    reaped_children_ticks: int
    """cutime + cstime: children it has waited for (PostgreSQL's exited backends)."""
    start_ticks: int
    """When it started (since boot): with the pid, names a process even if the pid is reused."""


def parse_stat(text: str) -> ProcessStat:
    """Read a /proc/<pid>/stat line. The command name is in parentheses and may itself hold
    spaces and parentheses, so the fields are counted from the last ``)``."""
    open_paren, close_paren = text.index("("), text.rindex(")")
    fields = text[close_paren + 2 :].split()  # fields[0] is field 3 (state)
    return ProcessStat(
        pid=int(text[:open_paren]),
        comm=text[open_paren + 1 : close_paren],
        ppid=int(fields[1]),
        cpu_ticks=int(fields[11]) + int(fields[12]),
        reaped_children_ticks=int(fields[13]) + int(fields[14]),
        start_ticks=int(fields[19]),
    )


def read_stat(pid: int) -> ProcessStat | None:
    """The process's stat, or None when it has gone."""
    try:
        return parse_stat((PROC / str(pid) / "stat").read_text())
    except (FileNotFoundError, ProcessLookupError):
        return None


def parse_rss_bytes(status: str) -> int | None:
    """VmRSS from a /proc/<pid>/status text (absent for kernel threads and zombies)."""
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            value, unit = line.split()[1:3]
            assert unit == "kB", f"unexpected VmRSS unit {unit!r}"
            return int(value) * 1024
    return None


def rss_bytes(pid: int) -> int | None:
    """Resident memory of a live process; None when it has gone."""
    try:
        return parse_rss_bytes((PROC / str(pid) / "status").read_text())
    except (FileNotFoundError, ProcessLookupError):
        return None


def command_line(pid: int) -> list[str]:
    """The process's arguments (PostgreSQL rewrites its own into one title string)."""
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def parse_backend_title(arguments: list[str]) -> tuple[str, str] | None:
    """(user, database) of a PostgreSQL backend from its process title, e.g.
    ``postgres: send_app bench_1a2b_referrals 127.0.0.1(5432) idle``; None for the
    postmaster and the server's own background processes (checkpointer, walwriter, ...)."""
    title = " ".join(arguments).strip()
    if not title.startswith("postgres: "):
        return None
    words = title.removeprefix("postgres: ").split()
    if len(words) >= 3 and (words[2].endswith(")") or words[2] == "[local]"):
        return words[0], words[1]
    return None


def children(pid: int) -> list[int]:
    """Live children of ``pid`` (the kernel's list of the main thread's children)."""
    try:
        text = (PROC / str(pid) / "task" / str(pid) / "children").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return []
    return [int(child) for child in text.split()]


def _pids() -> Iterator[int]:
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            yield int(entry.name)


def find_kafka_broker() -> int | None:
    """The pid of the local Kafka broker: the JVM whose main class is ``kafka.Kafka`` (the one
    `deploy/local/kafka.sh` starts). None for a Kafka elsewhere (its CPU is not seen)."""
    for pid in _pids():
        if KAFKA_MAIN_CLASS in command_line(pid):
            return pid
    return None


def parse_machine_busy_ticks(stat: str) -> int:
    """CPU ticks the whole machine spent busy (all CPUs, every process and the kernel), from
    /proc/stat's ``cpu`` line: everything but idle and iowait (guest time is in user)."""
    for line in stat.splitlines():
        if line.startswith("cpu "):
            user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, line.split()[1:9])
            return user + nice + system + irq + softirq + steal
    raise ValueError("no aggregate cpu line in /proc/stat")


def machine_busy_ticks() -> int:
    return parse_machine_busy_ticks((PROC / "stat").read_text())
