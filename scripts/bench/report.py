"""The bench's tables from its results. How CPU is compared with the bare pipelines:

- bare CPU per message: the four stage processes' CPU over the messages that went through
  all four stages; per *stage-message*: that over four (one consume, one transaction with an
  inbox row, one publish).
- the platform's CPU per referral: the four services' CPU over the referrals that reached the
  family alert; its stage-messages per referral: the events its consumer groups committed
  per referral (each one handled in a transaction with an inbox row, as a bare stage does),
  measured from Kafka's offsets, not assumed.
- ratio "per stage-message": platform CPU per referral / (bare CPU per stage-message x the
  platform's stage-messages per referral): the framework's cost for the same work.
- ratio "per message": platform CPU per referral / bare CPU per 4-stage message: a referral's
  journey against one message through the bare four-stage pipeline.

(Longer than most modules: one function per table of the bench's report, each a few rows of
arithmetic.)
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from scripts.bench.bare import STAGES, VARIANTS, BaselineResult
from scripts.bench.cpu import KAFKA, MACHINE, NOTIFY, POSTGRES, POSTGRES_RUN, others_cpu_s
from scripts.bench.journeys import DELIVERED, DELIVERED_STEPS, STEPS
from scripts.bench.phases import PhaseResult
from scripts.bench.stats import ratio
from scripts.bench.table import YES_NO, Cell, Column, Table
from shared.services import EVENT_SERVICES as SERVICES  # the pipeline measured (not the workspace)

BENCH = "bench"
"""The label of the bench's own process: the load generator."""
SHARED_NOTE = "* the whole broker / server: anything else using it at the time is counted too"
BUSY_NOTE = (
    "busy %: the whole machine's CPUs over the window; others: CPU of everything not "
    "listed (other people's work on the machine): high values make every figure noisy"
)


def tables(
    baselines: Sequence[BaselineResult],
    phases: Sequence[PhaseResult],
    through_notify: bool = False,
) -> list[Table]:
    """``through_notify``: the run's messages went through a local Notify, whose delivery
    receipts give the journey its ``family_notified`` row."""
    return [
        baseline_table(baselines),
        platform_table(phases),
        journey_table(phases, DELIVERED_STEPS if through_notify else STEPS),
        cpu_table(phases, through_notify),
        comparison_table(phases, baselines),
        memory_table(phases),
    ]


def busy_percent(cpu_s: Mapping[str, float], window_s: float) -> Cell:
    """How busy the whole machine was over a window, in % of all its CPUs."""
    if MACHINE not in cpu_s or window_s <= 0:
        return None
    return 100 * cpu_s[MACHINE] / (window_s * (os.cpu_count() or 1))


def _ms_per(seconds: float | None, count: float) -> Cell:
    return None if seconds is None or not count else seconds * 1000 / count


def baseline_table(baselines: Sequence[BaselineResult]) -> Table:
    rows = tuple(
        (
            VARIANTS[b.variant],
            (
                float(b.messages),
                b.messages / b.seconds,
                _ms_per(b.stages_cpu_s, b.messages),
                _ms_per(b.stages_cpu_s, b.messages * STAGES),
                _ms_per(b.cpu_s.get(KAFKA), b.messages),
                _ms_per(b.cpu_s.get(POSTGRES_RUN), b.messages),
                float(b.delivered - b.messages),
                busy_percent(b.cpu_s, b.seconds),
                _ms_per(others_cpu_s(b.cpu_s), b.messages),
            ),
        )
        for b in baselines
    )
    return Table(
        f"Bare pipelines: aiokafka -> asyncpg (inbox row) -> aiokafka, {STAGES} stages, "
        "no framework",
        "variant",
        (
            Column("messages", ",.0f"),
            Column("msg/s", ",.0f"),
            Column("CPU ms/msg", ".2f"),
            Column("ms/stage-msg", ".3f"),
            Column("Kafka* ms/msg", ".2f"),
            Column("PG ms/msg", ".2f"),
            Column("lost(-)/dup(+)", ".0f"),
            Column("busy %", ".0f"),
            Column("others ms/msg", ".2f"),
        ),
        rows,
        (
            "CPU: the four stage processes' own (user + system) over the messages; a "
            "stage-message is one stage's consume + transaction + publish",
            "PG: this run's database connections; " + SHARED_NOTE,
            BUSY_NOTE,
        ),
    )


def platform_table(phases: Sequence[PhaseResult]) -> Table:
    def row(p: PhaseResult) -> tuple[Cell, ...]:
        post = p.post_ms or (None, None)
        alert = p.alert_ms or (None, None)
        kept_up = None if p.kept_up is None else float(p.kept_up)
        backlog = None if p.backlog is None else float(p.backlog)
        return (
            float(p.referrals),
            float(p.completed),
            p.rate,
            p.seconds,
            *post,
            *alert,
            backlog,
            kept_up,
            float(p.failures),
            float(p.traffic.dead_lettered),
            busy_percent(p.cpu_s, p.cpu_window_s),
        )

    return Table(
        "Platform",
        "phase",
        (
            Column("referrals", ",.0f"),
            Column("alerted", ",.0f"),
            Column("ref/s", ",.0f"),
            Column("seconds", ".1f"),
            Column("POST p50", ".0f"),
            Column("POST p99", ".0f"),
            Column("alert p50", ".0f"),
            Column("alert p99", ".0f"),
            Column("backlog", ",.0f"),
            Column("kept up", YES_NO),
            Column("failed", ".0f"),
            Column("DLQ", ".0f"),
            Column("busy %", ".0f"),
        ),
        tuple((p.name, row(p)) for p in phases),
        (
            "ms. Open loop: POST and alert from when the request was due; backlog: sent but "
            "not yet alerted when sending stopped; kept up: backlog <= 1 s of sending and "
            "every referral alerted",
            "Drain: seconds from starting the services to the last alert; ref/s from the first "
            "referral stored to the last alert; alert from the referral stored",
            "Targets (issue #7): drain >= 860 ref/s (150,000 in < 3 min); at 100/s alert p50 "
            "< 15, p99 < 50, POST p99 < 20; at 300/s kept up",
        ),
    )


def journey_table(phases: Sequence[PhaseResult], steps: Sequence[str] = STEPS) -> Table:
    rows: list[tuple[str, tuple[Cell, ...]]] = []
    for p in phases:
        for step in steps:
            s = p.steps.get(step)
            cells = (None,) * 4 if s is None else (float(s.count), s.p50, s.p99, s.max)
            rows.append((f"{p.name}: {step}", cells))
    return Table(
        "Journey: ms after the referral was stored (the services' own timestamps)",
        "phase: step",
        (Column("n", ",.0f"), Column("p50", ".0f"), Column("p99", ".0f"), Column("max", ".0f")),
        tuple(rows),
        (
            (
                "family_alerted: the family's second message sent (the match); "
                "family_notified: Notify's receipt saying it was delivered",
            )
            if DELIVERED in steps
            else ()
        ),
    )


def services_cpu_s(p: PhaseResult) -> float:
    return sum(p.cpu_s.get(service, 0.0) for service in SERVICES)


def cpu_table(phases: Sequence[PhaseResult], through_notify: bool = False) -> Table:
    """``through_notify``: a column for the run's local Notify (a log-channel run's table keeps
    the shape of earlier runs', so ``--compare`` lines them up)."""
    notify = [NOTIFY] if through_notify else []
    labels = [*SERVICES, None, KAFKA, POSTGRES_RUN, POSTGRES, BENCH, *notify]
    titles = (*SERVICES, "services", "Kafka*", "PG (run)", "PG*", "load gen", *notify, "others")
    notify_note = (
        "Notify: the run's local GOV.UK Notify (taking messages, posting receipts): load, like "
        "load gen, counted in neither services nor others"
    )

    def row(p: PhaseResult) -> tuple[Cell, ...]:
        return (
            *(
                _ms_per(services_cpu_s(p) if label is None else p.cpu_s.get(label), p.completed)
                for label in labels
            ),
            _ms_per(others_cpu_s(p.cpu_s), p.completed),
        )

    return Table(
        "CPU ms per referral (each process's own user + system time)",
        "phase",
        tuple(Column(title, ".2f") for title in titles),
        tuple((p.name, row(p)) for p in phases),
        (
            "PG (run): the services' connections to this run's databases; load gen: the bench "
            "process (open loop: the sender; drain: its polling; loading the topic not counted)",
            *([notify_note] if through_notify else []),
            SHARED_NOTE,
            BUSY_NOTE,
        ),
    )


def comparison_table(phases: Sequence[PhaseResult], baselines: Sequence[BaselineResult]) -> Table:
    bare = {b.variant: b for b in baselines}

    def row(p: PhaseResult) -> tuple[Cell, ...]:
        per_referral = _ms_per(services_cpu_s(p), p.completed)
        consumed = ratio(float(p.traffic.consumed), float(p.completed))
        cells: list[Cell] = [
            consumed,
            ratio(float(p.traffic.produced), float(p.completed)),
            _ms_per(services_cpu_s(p), p.traffic.consumed),
        ]
        for variant in VARIANTS:
            b = bare.get(variant)
            per_stage = None if b is None else _ms_per(b.stages_cpu_s, b.messages * STAGES)
            budget = None if per_stage is None or consumed is None else per_stage * consumed
            cells.append(ratio(per_referral, budget))
        for variant in VARIANTS:
            b = bare.get(variant)
            cells.append(
                ratio(per_referral, None if b is None else _ms_per(b.stages_cpu_s, b.messages))
            )
        return tuple(cells)

    return Table(
        "Services' CPU against the bare pipelines",
        "phase",
        (
            Column("consumed/ref", ".2f"),
            Column("produced/ref", ".2f"),
            Column("ms/consumed", ".3f"),
            Column("x 1-at-a-time", ".2f"),
            Column("x batched", ".2f"),
            Column("x 1-at-a-time/msg", ".2f"),
            Column("x batched/msg", ".2f"),
        ),
        tuple((p.name, row(p)) for p in phases),
        (
            "consumed/produced: events the services' consumer groups committed / published per "
            "referral (Kafka offsets); ms/consumed: services' CPU per consumed event",
            "x ...: services' CPU per referral / (bare CPU per stage-message x consumed/ref); "
            "x .../msg: / bare CPU per message through all 4 stages",
            "Targets (issue #7): at most 1.5 x one at a time, 2 x batched",
        ),
    )


def memory_table(phases: Sequence[PhaseResult]) -> Table:
    def mb(value: int | None) -> Cell:
        return None if value is None else value / 2**20

    return Table(
        "Resident memory (VmRSS, MB) at the end of each phase",
        "phase",
        tuple(Column(service, ".0f") for service in SERVICES),
        tuple((p.name, tuple(mb(p.rss.get(s)) for s in SERVICES)) for p in phases),
        ("Target (issue #7): each service < 150 MB at the drain rate",),
    )
