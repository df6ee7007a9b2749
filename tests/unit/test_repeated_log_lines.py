"""aiokafka's repeated warnings and errors are cut to one line per kind per interval."""

from __future__ import annotations

import logging

from shared.log_limits import RepeatedLines


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(
    message: str = "Unable connect to node with id %s: %s",
    *args: object,
    name: str = "aiokafka",
    level: int = logging.ERROR,
) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, args or (1, "refused"), None)


def limiter(clock: Clock, interval_s: float = 30.0) -> RepeatedLines:
    return RepeatedLines(("aiokafka",), interval_s=interval_s, clock=clock)


def test_first_line_passes_and_repeats_within_the_interval_are_held_back() -> None:
    clock = Clock()
    lines = limiter(clock)
    assert lines.filter(record())
    passed = []
    for node in range(500):
        clock.now += 0.05  # 25 s of reconnect attempts every 50 ms
        passed.append(lines.filter(record("Unable connect to node with id %s: %s", node, "x")))
    assert not any(passed)


def test_next_line_after_the_interval_says_how_many_were_held_back() -> None:
    clock = Clock()
    lines = limiter(clock)
    assert lines.filter(record())
    for _ in range(37):
        clock.now += 0.5
        assert not lines.filter(record())
    clock.now = 1000.0 + 30.0
    late = record()
    assert lines.filter(late)
    assert late.getMessage() == (
        "Unable connect to node with id 1: refused (37 similar lines suppressed in 30 s)"
    )
    assert late.__dict__["suppressed"] == 37
    # The window starts again from the line let through.
    clock.now += 1
    assert not lines.filter(record())


def test_a_line_after_a_quiet_interval_has_no_note() -> None:
    clock = Clock()
    lines = limiter(clock)
    assert lines.filter(record())
    clock.now += 31
    later = record()
    assert lines.filter(later)
    assert later.getMessage() == "Unable connect to node with id 1: refused"


def test_kinds_are_limited_apart_by_logger_and_template() -> None:
    clock = Clock()
    lines = limiter(clock)
    assert lines.filter(record())
    assert lines.filter(
        record("Heartbeat failed: %r", "x", name="aiokafka.consumer.group_coordinator")
    )
    assert lines.filter(record("Unable to update metadata from %s", [1]))
    assert lines.filter(record(name="aiokafka.conn"))  # same template, another logger
    assert not lines.filter(record())


def test_other_loggers_and_informational_lines_are_untouched() -> None:
    clock = Clock()
    lines = limiter(clock)
    for _ in range(3):
        assert lines.filter(record(name="shared.outbox"))
        assert lines.filter(record(name="aiokafkaesque"))  # a prefix, not a parent logger
        assert lines.filter(record("Joined group %s", "g", level=logging.INFO))


def test_percent_signs_in_a_held_back_lines_arguments_survive_the_note() -> None:
    clock = Clock()
    lines = limiter(clock)
    assert lines.filter(record("Fetch failed: %s", "100% of retries"))
    assert not lines.filter(record("Fetch failed: %s", "100% of retries"))
    clock.now += 30
    late = record("Fetch failed: %s", "50% of retries")
    assert lines.filter(late)
    assert late.getMessage() == "Fetch failed: 50% of retries (1 similar lines suppressed in 30 s)"


def test_on_a_handler_it_limits_records_of_every_aiokafka_logger() -> None:
    clock = Clock()
    written: list[str] = []

    class Collect(logging.Handler):
        def emit(self, r: logging.LogRecord) -> None:
            written.append(self.format(r))

    handler = Collect()
    handler.addFilter(limiter(clock))
    loggers = [logging.getLogger(n) for n in ("aiokafka", "aiokafka.consumer.fetcher")]
    for logger in loggers:
        logger.addHandler(handler)
        logger.propagate = False
    try:
        for _ in range(100):
            for logger in loggers:
                logger.error("Failed fetch messages from %s: %s", 1, "NodeNotReadyError")
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
            logger.propagate = True
    assert written == ["Failed fetch messages from 1: NodeNotReadyError"] * 2
