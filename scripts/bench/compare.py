"""`make bench BENCH_ARGS="--compare <commit> ..."`: the same bench for an earlier commit and for
this checkout, one after the other, against the same broker and server, then their tables side
by side.

The earlier commit runs from a git worktree of its own (``.local/bench/compare/<commit>``, made
once, detached) with this checkout's virtual environment: ``PYTHONPATH`` puts that worktree's
packages ahead of this checkout's editable install (whose finder Python consults after the
path). So a commit whose dependencies differ from this checkout's is not comparable this way.
Each run is ``python -m scripts.bench`` with the other options, in its own process, its output
printed as it comes; the side-by-side part puts each table's rows of both runs under one header
(a line both runs printed the same, a note, once).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from scripts.platform import REPO_ROOT

PACKAGE_DIRS = ("", "services/referrals", "services/plans", "services/specialists",
                "services/notifications", "services/web")  # fmt: skip
"""Where a checkout's packages are (pyproject's ``package-dir``), for ``PYTHONPATH``."""


def worktree(commit: str) -> tuple[str, Path]:
    """The commit's short id and a worktree of it (made the first time)."""
    short = _git("rev-parse", "--short=12", f"{commit}^{{commit}}").strip()
    path = REPO_ROOT / ".local" / "bench" / "compare" / short
    if not path.exists():
        _git("worktree", "add", "--detach", str(path), short)
    return short, path


def run(label: str, checkout: Path, argv: list[str]) -> str:
    """``python -m scripts.bench argv`` from ``checkout``; prints its output as it comes, each
    line labelled, and returns it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(checkout / d) for d in PACKAGE_DIRS)}
    print(f"\n##### {label} ({checkout})\n", flush=True)
    lines: list[str] = []
    with subprocess.Popen(
        [sys.executable, "-m", "scripts.bench", *argv],
        cwd=checkout, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    ) as process:  # fmt: skip
        assert process.stdout is not None  # piped above
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            print(f"[{label}] {line}", end="", flush=True)
    if process.returncode:
        raise SystemExit(f"bench of {label} failed (exit {process.returncode})")
    return "\n".join(lines)


def tables_of(output: str) -> dict[str, list[str]]:
    """The tables of a bench's output, by title: each its header, rows and notes."""
    last_run = output.rsplit("\nload average ", 1)[-1]
    tables: dict[str, list[str]] = {}
    for block in last_run.split("\n\n")[1:]:  # the first is the load average's line
        title, *lines = block.strip("\n").splitlines()
        tables[title] = lines
    return tables


def side_by_side(earlier: tuple[str, str], this: tuple[str, str]) -> str:
    """Each table both runs printed: its header, each run's rows labelled, its notes once."""
    (old_label, old_output), (new_label, new_output) = earlier, this
    old, new = tables_of(old_output), tables_of(new_output)
    width = max(len(old_label), len(new_label))
    out = [f"\n##### Side by side: {old_label} (earlier) and {new_label} (this checkout)"]
    for title, new_lines in new.items():
        old_lines = old.get(title)
        if not new_lines or not old_lines:
            continue
        header, *new_rest = new_lines
        old_rest = old_lines[1:]
        shared = set(old_rest) & set(new_rest)  # notes: the same text in both
        out += ["", title, " " * (width + 1) + header]
        out += [f"{old_label.ljust(width)} {line}" for line in old_rest if line not in shared]
        out += [f"{new_label.ljust(width)} {line}" for line in new_rest if line not in shared]
        out += [line for line in new_rest if line in shared]
    return "\n".join(out)


def without_option(argv: list[str], option: str) -> list[str]:
    """``argv`` without ``option`` and its value (``--name value`` or ``--name=value``)."""
    kept: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == option:
            skip = True
        elif not arg.startswith(f"{option}="):
            kept.append(arg)
    return kept


def channel_options(knows_notify: bool, argv: list[str]) -> tuple[list[str], list[str]]:
    """(the earlier commit's options, this checkout's). A commit whose bench knows only the log
    channel (before ``--notify``) gets no ``--notify``, and this checkout then runs with
    ``--notify log`` too: both measure the same path, their tables the same shape."""
    if knows_notify:
        return argv, argv
    kept = without_option(argv, "--notify")
    return kept, [*kept, "--notify", "log"]


def split_options(knows_split: bool, argv: list[str]) -> list[str]:
    """The earlier commit's options: every ``--split`` left out when its bench has none
    (before PROCESS_PARTS), its services then each one process; this checkout keeps them."""
    return argv if knows_split else without_option(argv, "--split")


def compare(commit: str, argv: list[str]) -> None:
    """Bench ``commit``, then this checkout, with the same options ``argv``; print both."""
    short, checkout = worktree(commit)
    knows_notify = (checkout / "scripts" / "bench" / "messaging.py").exists()
    earlier_argv, this_argv = channel_options(knows_notify, argv)
    stack = checkout / "scripts" / "bench" / "stack.py"  # absent before 1a5d568
    knows_split = stack.exists() and "--split" in stack.read_text()
    split_argv = split_options(knows_split, earlier_argv)
    if split_argv != earlier_argv:
        earlier_argv = split_argv
        print(f"{short} runs each service as one process (no --split); this checkout as told")
    if not knows_notify:
        print(f"{short}'s bench sends to the log channel only: this checkout too (--notify log)")
    earlier = run(short, checkout, earlier_argv)
    this = run("this", REPO_ROOT, this_argv)
    print(side_by_side((short, earlier), ("this", this)), flush=True)


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO_ROOT, check=True, capture_output=True, text=True
    ).stdout
