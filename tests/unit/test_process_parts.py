"""A service as two processes (``PROCESS_PARTS``, #25): the setting each process is given, the
bench's and the launcher's ``--split SERVICE:PARTS`` that gives it, and a comparison with a
commit whose bench has no ``--split``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, cast

import pytest
from notifications.config import NotificationsSettings
from pydantic import ValidationError

from scripts.bench.__main__ import parse
from scripts.bench.compare import split_options, without_option
from scripts.bench.processes import rss_bytes
from scripts.bench.stack import BenchPlatform, splits_of
from scripts.platform import PRODUCTION_SPLITS, Platform, Split
from shared.settings import PROCESS_PARTS


@pytest.mark.parametrize(
    ("value", "parts"),
    [
        ("consumers, relay", {"consumers", "relay"}),
        (" workers ,", {"workers"}),
        ("", set()),  # HTTP routes only
        ("consumers,relay,workers", set(PROCESS_PARTS)),
    ],
)
def test_process_parts_are_read_comma_separated(
    monkeypatch: pytest.MonkeyPatch, value: str, parts: set[str]
) -> None:
    monkeypatch.setenv("PROCESS_PARTS", value)
    assert NotificationsSettings().process_parts == parts


def test_a_process_runs_every_part_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROCESS_PARTS", raising=False)
    assert NotificationsSettings().process_parts == {"consumers", "relay", "workers"}


def test_an_unknown_part_is_refused_naming_the_setting_and_the_parts_it_may_be(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PROCESS_PARTS", "consumers,sender")
    with pytest.raises(ValidationError, match="process_parts") as refused:
        NotificationsSettings()
    assert "'consumers', 'relay' or 'workers'" in str(refused.value)


@pytest.mark.parametrize(
    ("text", "parts", "rest", "name"),
    [
        ("notifications:workers", ("workers",), ("consumers", "relay"), "notifications-workers"),
        (
            "referrals:consumers, workers",
            ("consumers", "workers"),
            ("relay",),
            "referrals-consumers-workers",
        ),
        ("plans:consumers,relay,workers", PROCESS_PARTS, (), "plans-consumers-relay-workers"),
        ("plans:workers,workers", ("workers",), ("consumers", "relay"), "plans-workers"),
    ],
)
def test_a_split_names_its_second_process_and_leaves_the_rest_to_the_services_own(
    text: str, parts: tuple[str, ...], rest: tuple[str, ...], name: str
) -> None:
    split = Split.parse(text)
    assert (split.parts, split.rest, split.name) == (parts, rest, name)


@pytest.mark.parametrize(
    "text",
    [
        "billing:workers",  # no such service
        "notifications:sender",  # no such part
        "notifications:workers,sender",
        "notifications:",  # no parts
        "notifications",
        "notifications: , ",
    ],
)
def test_a_split_that_cannot_be_run_is_refused_saying_what_it_may_be(text: str) -> None:
    with pytest.raises(ValueError, match="SERVICE:PARTS") as refused:
        Split.parse(text)
    assert "consumers, relay, workers" in str(refused.value)
    assert "notifications" in str(refused.value)  # the services it may name


def test_each_process_of_a_split_service_is_told_its_parts_and_knows_its_service() -> None:
    platform = Platform(ports={"referrals": 1, "plans": 2, "notifications": 3})
    platform.split(Split.parse("notifications:workers"), 4)
    platform.split(Split.parse("referrals:consumers,workers"), 5)
    assert platform.ports["notifications-workers"] == 4
    assert platform.ports["referrals-consumers-workers"] == 5
    assert platform.parts_of("notifications-workers") == {"PROCESS_PARTS": "workers"}
    assert platform.parts_of("notifications") == {"PROCESS_PARTS": "consumers,relay"}
    assert platform.parts_of("referrals-consumers-workers") == {
        "PROCESS_PARTS": "consumers,workers"
    }
    assert platform.parts_of("referrals") == {"PROCESS_PARTS": "relay"}
    assert platform.parts_of("plans") == {}  # not split: every part, the default
    assert platform.service_of("notifications-workers") == "notifications"
    assert platform.service_of("referrals-consumers-workers") == "referrals"
    assert platform.service_of("notifications") == "notifications"
    assert platform.service_of("plans") == "plans"


def test_a_split_leaving_the_service_its_routes_only_tells_it_no_part() -> None:
    platform = Platform(ports={"plans": 1})
    platform.split(Split.parse("plans:consumers,relay,workers"), 2)
    assert platform.parts_of("plans") == {"PROCESS_PARTS": ""}  # read as none: HTTP only


def test_every_split_is_left_out_for_a_commit_whose_bench_has_none() -> None:
    argv = ["--drain", "500", "--split", "notifications:workers", "--runs", "3"]
    argv += ["--split=referrals:consumers,workers", "--split", "plans:relay"]
    assert without_option(argv, "--split") == ["--drain", "500", "--runs", "3"]
    assert split_options(False, argv) == ["--drain", "500", "--runs", "3"]
    assert split_options(True, argv) == argv


MIB = 2**20
HOLDER = "import sys; held = b'x' * ({mib} * 2**20); print('ready', flush=True); sys.stdin.read()"


@contextmanager
def holding(mib: int) -> Iterator[subprocess.Popen[bytes]]:
    """A process holding about ``mib`` MiB resident until it is ended."""
    code = HOLDER.format(mib=mib)
    with subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    ) as process:
        assert process.stdout is not None
        assert process.stdout.readline() == b"ready\n"
        yield process


def test_the_bench_counts_a_split_services_processes_as_the_service() -> None:
    """CPU: its processes' pids under the service; memory: its largest process (each
    deployment's limit bounds one process)."""
    platform = Platform(ports={"notifications": 1, "plans": 2})
    platform.split(Split.parse("notifications:workers"), 3)
    nothing = cast("Any", None)
    bench = BenchPlatform("run", "", nothing, {}, nothing, platform, Path(), None, kafka_pid=None)
    with ExitStack() as running:
        routes, sender, plans = (running.enter_context(holding(mib)) for mib in (1, 80, 1))
        platform.processes = {"notifications": routes, "notifications-workers": sender}
        platform.processes["plans"] = plans
        pids = bench.pids_by_service()
        rss = bench.rss()
        sender_rss = rss_bytes(sender.pid)
        for process in (routes, sender, plans):
            assert process.stdin is not None
            process.stdin.close()
    assert pids == {"notifications": [routes.pid, sender.pid], "plans": [plans.pid]}
    assert set(rss) == {"notifications", "plans"}
    notifications, plans_rss = rss["notifications"] or 0, rss["plans"] or 0
    assert notifications >= 80 * MIB  # the sender's, the larger
    assert abs(notifications - (sender_rss or 0)) < 5 * MIB
    assert 0 < plans_rss < 80 * MIB


def test_the_bench_splits_as_production_unless_told() -> None:
    assert splits_of(parse([])) == PRODUCTION_SPLITS
    assert splits_of(parse(["--single"])) == []
    assert splits_of(parse(["--split", "plans:workers"])) == [Split("plans", ("workers",))]
    with pytest.raises(SystemExit):  # one layout or the other
        parse(["--single", "--split", "plans:workers"])
