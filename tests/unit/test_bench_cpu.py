"""The bench's CPU and memory accounting: /proc parsing and CPU windows."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest

from scripts.bench.cpu import (
    KAFKA,
    MACHINE,
    POSTGRES,
    POSTGRES_RUN,
    CpuMeter,
    CpuReading,
    cpu_seconds,
    others_cpu_s,
)
from scripts.bench.processes import (
    CLOCK_TICKS_PER_S,
    parse_backend_title,
    parse_machine_busy_ticks,
    parse_rss_bytes,
    parse_stat,
)
from scripts.bench.profile import self_samples, summary

# A real line's layout; the command name holds spaces and parentheses, as a name may.
STAT = (
    "4529 (my (odd) name) S 1 4529 4529 0 -1 4194304 17076 865013 0 4 "
    "120 30 3894 1915 20 0 1 0 244185 227258368 8148 18446744073709551615 0 0"
)


def test_stat_fields_are_counted_from_the_last_parenthesis() -> None:
    stat = parse_stat(STAT)
    assert (stat.pid, stat.comm, stat.ppid) == (4529, "my (odd) name", 1)
    assert stat.cpu_ticks == 120 + 30
    assert stat.reaped_children_ticks == 3894 + 1915
    assert stat.start_ticks == 244185


def test_resident_memory_is_read_in_bytes() -> None:
    status = "Name:\tpython\nVmPeak:\t  200000 kB\nVmRSS:\t   32744 kB\nThreads:\t3\n"
    assert parse_rss_bytes(status) == 32744 * 1024
    assert parse_rss_bytes("Name:\tkthreadd\n") is None


@pytest.mark.parametrize(
    ("title", "backend"),
    [
        ("postgres: send_app bench_1a 127.0.0.1(57090) idle", ("send_app", "bench_1a")),
        ("postgres: send_app plans 127.0.0.1(1) idle in transaction   ", ("send_app", "plans")),
        ("postgres: send bench_x [local] SELECT", ("send", "bench_x")),
        ("postgres: checkpointer   ", None),
        ("postgres: autovacuum launcher", None),
        ("/usr/lib/postgresql/15/bin/postgres -D /data", None),
    ],
)  # fmt: skip
def test_backends_are_told_from_the_servers_own_processes(
    title: str, backend: tuple[str, str] | None
) -> None:
    assert parse_backend_title([title]) == backend


def test_machine_busy_time_leaves_out_idle_and_iowait() -> None:
    stat = "cpu  100 5 50 9000 70 3 2 1 0 0\ncpu0 50 2 25 4500 35 1 1 0 0 0\n"
    assert parse_machine_busy_ticks(stat) == 100 + 5 + 50 + 3 + 2 + 1


def reading(at: float, **ticks: dict[tuple[int, int], int]) -> CpuReading:
    return CpuReading(at, {label.replace("_", " "): t for label, t in ticks.items()})


def test_cpu_window_counts_new_processes_whole_and_a_reused_pid_as_new() -> None:
    ticks = CLOCK_TICKS_PER_S
    before = reading(0, plans={(10, 1): 2 * ticks}, pg_run={(20, 5): ticks, (21, 5): ticks})
    after = reading(
        1,
        plans={(10, 1): 5 * ticks},
        # backend 21 ended; 22 started in the window; pid 20 was reused by a new backend
        pg_run={(20, 9): ticks, (22, 7): 2 * ticks},
    )
    assert cpu_seconds(before, after) == {"plans": 3.0, "pg run": 3.0}


def test_others_are_the_machine_less_every_labelled_process() -> None:
    used = {MACHINE: 10.0, "plans": 2.0, KAFKA: 3.0, POSTGRES: 1.5, POSTGRES_RUN: 1.0}
    assert others_cpu_s(used) == pytest.approx(3.5)  # PG (run) is part of PG: not twice
    assert others_cpu_s({"plans": 1.0}) is None


def test_a_meter_sees_its_own_process_work() -> None:
    meter = CpuMeter({"me": os.getpid()}, None, kafka_pid=None)
    before = meter.read()
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:
        pass
    used = cpu_seconds(before, meter.read())
    assert used["me"] >= 0.2
    assert used[MACHINE] >= used["me"] - 0.05


BURN_S = 0.3
BURNER = f"""
import sys, time
print("ready", flush=True)
sys.stdin.readline()  # "go"
deadline = time.process_time() + {BURN_S}
while time.process_time() < deadline:
    pass
print("burnt", flush=True)
sys.stdin.read()  # until told to end: alive when the meter reads it
"""


@contextmanager
def burner() -> Iterator[subprocess.Popen[str]]:
    """A child that burns ``BURN_S`` of CPU when told "go", then waits to be ended."""
    with subprocess.Popen(
        [sys.executable, "-c", BURNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as child:  # its pipes closed and the child waited for at the end
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n"
        yield child


def test_a_service_split_into_processes_is_their_sum_under_one_label() -> None:
    with ExitStack() as children:
        first, second = (children.enter_context(burner()) for _ in range(2))
        meter = CpuMeter(
            {"notifications": [first.pid, second.pid], "one": first.pid, "other": second.pid},
            None,
            kafka_pid=None,
        )
        before = meter.read()
        for child in (first, second):
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        for child in (first, second):
            assert child.stdout is not None
            assert child.stdout.readline() == "burnt\n"
        used = cpu_seconds(before, meter.read())
    assert used["one"] >= BURN_S - 0.05
    assert used["other"] >= BURN_S - 0.05
    assert used["notifications"] == pytest.approx(used["one"] + used["other"])


def test_profile_samples_are_summed_by_the_package_that_was_running() -> None:
    site = "/work/.venv/lib/python3.11/site-packages"
    raw = "\n".join(
        [
            f"main (/work/shared/lifecycle.py);validate ({site}/pydantic/main.py) 30",
            f"main (/work/shared/lifecycle.py);run ({site}/_pydantic_core/x.py) 5",
            "main (/work/shared/lifecycle.py);handle (/work/services/plans/plans/domain.py) 10",
            "main (/work/shared/outbox.py) 7",
            "run (/usr/lib/python3.11/asyncio/events.py);dumps (/lib/python3.11/json/e.py) 4",
            "<module> (<string>) 1",
        ]
    )
    assert self_samples(raw) == {
        "pydantic": 30,
        "pydantic_core": 5,
        "services (ours)": 10,
        "shared (ours)": 7,
        "stdlib json": 4,
        "other": 1,
    }
    assert summary(self_samples(raw)).startswith("57 samples: pydantic 53%, services (ours) 18%")
