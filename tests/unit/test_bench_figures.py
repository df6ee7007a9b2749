"""The bench's figures: percentiles, medians over runs, tables, Kafka traffic and how the
platform's CPU is set against the bare pipelines'."""

from __future__ import annotations

import dataclasses
import math
import statistics
from uuid import uuid4

import pytest

from scripts.bench.bare import BaselineResult
from scripts.bench.cpu import KAFKA, MACHINE, NOTIFY
from scripts.bench.journeys import DELIVERED, DELIVERED_STEPS, JOURNEY_END, STEPS, StepLatency
from scripts.bench.openloop import Sent, answers_by_kind
from scripts.bench.phases import PhaseResult
from scripts.bench.report import comparison_table, cpu_table, journey_table, tables
from scripts.bench.stats import median, percentile, ratio
from scripts.bench.table import YES_NO, Column, Table, median_tables, render
from scripts.bench.traffic import Offsets, Traffic, lag, traffic


def test_percentiles_interpolate_like_postgresqls_percentile_cont() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0  # unsorted input
    assert percentile(values, 50) == statistics.median(values)


def test_no_values_have_no_percentile_and_a_wrong_percentile_is_refused() -> None:
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], 101)


def test_medians_leave_unknown_figures_out() -> None:
    assert median([3.0, None, 1.0, float("nan"), 2.0]) == 2.0
    assert median([None, None]) is None
    assert ratio(1.0, 0.0) is None
    assert ratio(None, 2.0) is None
    assert ratio(3.0, 2.0) == 1.5


def table(cells: list[float | None], title: str = "T") -> Table:
    columns = (Column("n", ",.0f"), Column("ok", YES_NO), Column("ms", ".1f"))
    return Table(title, "phase", columns, (("drain", tuple(cells)),))


def test_a_table_prints_aligned_with_dashes_for_unknown_figures() -> None:
    text = render(table([150000.0, 1.0, None]))
    assert text.splitlines() == [
        "T",
        "  phase        n   ok  ms",
        "  drain  150,000  yes   -",
    ]


def test_the_median_of_runs_is_taken_cell_by_cell() -> None:
    runs = [[table([1.0, 1.0, 5.0])], [table([3.0, 0.0, None])], [table([2.0, 1.0, 7.0])]]
    (result,) = median_tables(runs)
    assert result.rows == (("drain", (2.0, 1.0, 6.0)),)
    assert result.title == "T (median of 3 runs)"


def test_runs_of_different_shapes_have_no_median() -> None:
    with pytest.raises(ValueError, match="different shapes"):
        median_tables([[table([1.0, 1.0, 1.0])], [table([1.0, 1.0, 1.0], title="U")]])


def test_traffic_counts_published_consumed_and_dead_lettered_events() -> None:
    before = Offsets(
        ends={("ns.a", 0): 10, ("ns.a", 1): 5},
        committed={"ns.g": {("ns.a", 0): 10, ("ns.a", 1): 5}},
    )
    after = Offsets(
        ends={("ns.a", 0): 14, ("ns.a", 1): 9, ("ns.b", 0): 3, ("ns.a.dlq", 0): 1},
        committed={
            "ns.g": {("ns.a", 0): 14, ("ns.a", 1): 7},  # 2 still waiting on partition 1
            "ns.h": {("ns.b", 0): 3},  # a group new since `before`: counted from zero
        },
    )
    assert traffic(before, after) == Traffic(produced=11, consumed=9, dead_lettered=1, lag=2)


def test_lag_counts_partitions_a_group_never_committed_on() -> None:
    offsets = Offsets(ends={("t", 0): 4, ("t", 1): 6}, committed={"g": {("t", 0): 4}})
    assert lag(offsets) == 6


def baseline(variant: str, messages: int, stages_cpu_s: float) -> BaselineResult:
    cpu = {f"stage {k}": stages_cpu_s / 4 for k in range(1, 5)} | {KAFKA: 1.0}
    return BaselineResult(variant, messages, 10.0, cpu, messages)


def phase(services_cpu_s: dict[str, float], completed: int, consumed: int) -> PhaseResult:
    return PhaseResult(
        name="drain 1000",
        referrals=completed,
        completed=completed,
        rate=100.0,
        seconds=10.0,
        post_ms=None,
        alert_ms=(50.0, 90.0),
        steps={"family_notified": StepLatency(completed, 50.0, 90.0, 120.0)},
        backlog=0,
        kept_up=None,
        failures=0,
        cpu_s=services_cpu_s,
        cpu_window_s=10.0,
        rss={"referrals": 100 * 2**20},
        traffic=Traffic(produced=5 * completed, consumed=consumed, dead_lettered=0, lag=0),
    )


def test_platform_cpu_is_set_against_the_bare_cpu_of_as_many_stage_messages() -> None:
    # Bare: 4 s of stage CPU for 1,000 messages through 4 stages: 4 ms per message, 1 ms per
    # stage-message; batched: 1 ms per message, 0.25 ms per stage-message.
    bare = [baseline("single", 1000, 4.0), baseline("batched", 1000, 1.0)]
    # Platform: 14 s over 1,000 referrals = 14 ms per referral; 7 events consumed per referral.
    services = {"referrals": 5.0, "plans": 3.0, "specialists": 3.0, "notifications": 3.0}
    result = phase(services, completed=1000, consumed=7000)
    (row,) = comparison_table([result], bare).rows
    consumed, produced, per_consumed, single, batched, single_msg, batched_msg = row[1]
    assert (consumed, produced) == (7.0, 5.0)
    assert per_consumed == pytest.approx(2.0)  # 14 s / 7,000 events
    assert single == pytest.approx(14 / (1.0 * 7))
    assert batched == pytest.approx(14 / (0.25 * 7))
    assert single_msg == pytest.approx(14 / 4)
    assert batched_msg == pytest.approx(14 / 1)


def test_cpu_per_referral_is_per_service_and_in_total() -> None:
    services = {"referrals": 5.0, "plans": 3.0, "specialists": 2.0, "notifications": 1.0}
    (row,) = cpu_table([phase(services | {KAFKA: 4.0}, 1000, 7000)]).rows
    assert row[1][:6] == (5.0, 3.0, 2.0, 1.0, 11.0, 4.0)


def test_without_baselines_the_ratios_are_unknown_but_the_tables_keep_their_shape() -> None:
    result = phase({"referrals": 1.0}, 10, 70)
    with_bare = tables([baseline("single", 10, 1.0), baseline("batched", 10, 1.0)], [result])
    without = tables([], [result])
    assert [t.title for t in without] == [t.title for t in with_bare]
    (row,) = comparison_table([result], []).rows
    assert row[1][3:] == (None, None, None, None)
    assert "-" in render(without[4])


def test_a_run_through_notify_shows_the_delivered_alert_after_the_alert() -> None:
    steps = {
        JOURNEY_END: StepLatency(10, 50.0, 90.0, 120.0),
        DELIVERED: StepLatency(9, 480.0, 520.0, 600.0),
    }
    result = dataclasses.replace(phase({"referrals": 1.0}, 10, 70), steps=steps)
    through_log = [label for label, _ in journey_table([result]).rows]
    assert through_log == [f"drain 1000: {step}" for step in STEPS]
    (journey,) = [t for t in tables([], [result], through_notify=True) if "Journey" in t.title]
    rows = dict(journey.rows)
    assert [label for label, _ in journey.rows][-2:] == [
        f"drain 1000: {JOURNEY_END}",
        f"drain 1000: {DELIVERED}",
    ]
    assert rows[f"drain 1000: {DELIVERED}"] == (9.0, 480.0, 520.0, 600.0)
    assert DELIVERED_STEPS[:-1] == STEPS


def test_the_local_notify_is_load_not_the_services_nor_others() -> None:
    services = {"referrals": 5.0, "plans": 3.0, "specialists": 2.0, "notifications": 1.0}
    used = services | {NOTIFY: 2.0, MACHINE: 20.0}
    assert "Notify" not in [c.title for c in cpu_table([phase(used, 1000, 7000)]).columns]
    table = cpu_table([phase(used, 1000, 7000)], through_notify=True)
    titles = [c.title for c in table.columns]
    (row,) = table.rows
    figures = dict(zip(titles, row[1], strict=True))
    assert figures["services"] == 11.0
    assert figures["Notify"] == 2.0
    assert figures["others"] == pytest.approx(7.0)  # 20 - 11 - 2: Notify is not "others"
    assert any("Notify" in note for note in table.notes)


def test_post_latencies_are_split_into_referrals_taken_in_refusals_and_first_tries() -> None:
    sent = [
        Sent(0.0, 10.0, 201, uuid4(), answers_ms=(10.0,)),
        Sent(0.0, 2.0, 201, uuid4(), answers_ms=(2.0, 4.0, 300.0), refused=2),
        Sent(0.0, 6.0, 503, None, answers_ms=(6.0, 8.0), refused=1),
    ]

    line = answers_by_kind(sent)

    assert "taken in (201) 2: 155 / 297" in line  # 10 and 300: the taken-in answers only
    assert "last answer 503 1: 8 / 8" in line
    assert "refused (503) before 3: 4 / 6" in line  # 2, 4 and 6: every answer but the last
    assert "first tries 3: 6 / 10" in line
