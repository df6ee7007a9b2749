"""`make bench BENCH_ARGS="--compare <commit>"`: each run gets the other options, and the two
runs' tables are printed under one header each, rows labelled by run, notes once."""

from __future__ import annotations

from scripts.bench.compare import channel_options, side_by_side, without_option

OUTPUT = """PostgreSQL at 127.0.0.1:55433: fsync = on
=== Run 1 of 1
Drain of 2000 referrals ...

load average 1.0 / 1.0 / 1.0 (1 / 5 / 15 min)

CPU ms per referral (each process's own user + system time)
  phase       services  PG (run)
  drain 2000  {services}  {pg}
  PG (run): the services' connections to this run's databases"""


def test_each_run_gets_every_option_but_compare() -> None:
    argv = ["--compare", "main", "--drain", "2000", "--compare=abc", "--rates", ""]
    assert without_option(argv, "--compare") == ["--drain", "2000", "--rates", ""]


def test_the_tables_are_side_by_side_rows_labelled_and_notes_once() -> None:
    before = OUTPUT.format(services="58.51", pg="18.49")
    after = OUTPUT.format(services="34.33", pg="12.85")
    lines = side_by_side(("7bba8ba", before), ("this", after)).splitlines()
    title = lines.index("CPU ms per referral (each process's own user + system time)")
    assert lines[title + 1].split() == ["phase", "services", "PG", "(run)"]
    assert lines[title + 2].split() == ["7bba8ba", "drain", "2000", "58.51", "18.49"]
    assert lines[title + 3].split() == ["this", "drain", "2000", "34.33", "12.85"]
    assert lines[title + 4 :] == ["  PG (run): the services' connections to this run's databases"]


def test_a_commit_before_notify_is_compared_with_this_checkout_on_the_log_channel() -> None:
    argv = ["--drain", "500", "--notify", "notify", "--notify=notify"]
    assert channel_options(False, argv) == (
        ["--drain", "500"],
        ["--drain", "500", "--notify", "log"],
    )
    assert channel_options(True, argv) == (argv, argv)
