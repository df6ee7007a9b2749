"""Where each service's CPU goes during a phase (``--profile``): py-spy (the dev extra)
samples every service 100 times a second without pausing it, keeping only the samples of the
thread holding the GIL (Python at work: a loop waiting in epoll or a thread waiting on a lock
has let go of it), and the bench sums them by the package of the innermost frame (self time:
the code that was running).

The raw files (``<phase>-<service>.txt``, collapsed stacks) open in speedscope or
flamegraph.pl for the whole picture.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

SITE_PACKAGES = re.compile(r"/site-packages/([A-Za-z0-9_]+)")
STDLIB = re.compile(r"/lib/python3\.\d+/([A-Za-z0-9_]+)")
TOP = 8


def package_of(frame: str) -> str:
    """The package a collapsed-stack frame (``function (path)``) ran in: an installed
    package, ``shared`` or ``services`` (ours), a standard-library module, or ``other``."""
    path = frame[frame.rfind("(") + 1 : -1] if frame.endswith(")") else ""
    if found := SITE_PACKAGES.search(path):
        return found.group(1).lstrip("_")
    if "/shared/" in path:
        return "shared (ours)"
    if "/services/" in path:
        return "services (ours)"
    if found := STDLIB.search(path):
        return f"stdlib {found.group(1).removesuffix('.py')}"
    return "other"


def self_samples(raw: str) -> Counter[str]:
    """Samples per package of the innermost frame, from py-spy's raw output."""
    counts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            counts[package_of(stack.rsplit(";", 1)[-1])] += int(count)
    return counts


def summary(counts: Counter[str]) -> str:
    total = sum(counts.values())
    if not total:
        return "no samples"
    top = ", ".join(f"{name} {100 * n / total:.0f}%" for name, n in counts.most_common(TOP))
    return f"{total} samples: {top}"


class Profiler:
    """py-spy recording each of ``pids`` (name -> pid) into ``out_dir``, until ``stop``."""

    def __init__(self, out_dir: Path, phase: str, pids: dict[str, int]) -> None:
        beside = Path(sys.executable).parent / "py-spy"  # the virtual environment's
        executable = str(beside) if beside.exists() else shutil.which("py-spy")
        if executable is None:
            raise RuntimeError("--profile needs py-spy: `make install` installs the dev extra")
        out_dir.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", phase.lower()).strip("-")
        self.files = {name: out_dir / f"{slug}-{name}.txt" for name in pids}
        self.processes = [
            subprocess.Popen(
                [
                    executable,
                    "record",
                    "--pid",
                    str(pid),
                    "--rate",
                    "100",
                    "--nonblocking",
                    "--gil",
                    "--format",
                    "raw",
                    "--full-filenames",
                    "--nolineno",
                    "--output",
                    str(self.files[name]),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for name, pid in pids.items()
        ]

    def stop(self) -> dict[str, Counter[str]]:
        """Stop recording (py-spy writes its file on SIGINT); each service's self samples."""
        for process in self.processes:
            process.send_signal(signal.SIGINT)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return {
            name: self_samples(path.read_text()) if path.exists() else Counter()
            for name, path in self.files.items()
        }


def start(out_dir: Path | None, phase: str, pids: dict[str, int]) -> Profiler | None:
    """A profiler of ``pids`` when profiling was asked for (``out_dir``), else None."""
    return None if out_dir is None else Profiler(out_dir, phase, pids)


def finish(profiler: Profiler | None) -> None:
    """Stop ``profiler`` and print where each service's CPU went."""
    if profiler is None:
        return
    for name, counts in profiler.stop().items():
        print(f"  profile {name}: {summary(counts)} ({profiler.files[name]})", flush=True)
