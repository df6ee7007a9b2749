"""A cap on log lines that repeat: while Kafka is down or restarting, aiokafka logs an error for
every reconnect attempt of every connection (each consumer, the producer, the admin client),
thousands of lines that all say the same thing and bury the one that does not."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_MAX_KINDS = 1024


@dataclass
class _Window:
    opened: float  # when the last line of this kind was let through
    suppressed: int = 0


class RepeatedLines(logging.Filter):
    """Lets the first line of each kind through, then at most one per ``interval_s``; that one
    says how many similar lines were held back since the last (``... (37 similar lines
    suppressed in 30 s)``) and carries the count as the record's ``suppressed`` field.

    A line's kind is its logger and its message *template* (``record.msg`` before the
    arguments go in), so "Unable connect to node with id 1" and "... id 2" are one kind.
    Only loggers under ``prefixes`` at ``min_level`` and above are limited: aiokafka's
    informational lines (group joined, partitions assigned) come once per rebalance and say
    which replica got what, so they pass. Held-back lines are counted, not kept: if none of
    a kind follows, its count is never written.

    Put on a handler, it sees every record that handler writes whatever logger it came from
    (a filter on a logger sees only that logger's own records, not its children's).
    """

    def __init__(
        self,
        prefixes: Sequence[str],
        *,
        interval_s: float = 30.0,
        min_level: int = logging.WARNING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._prefixes = tuple(prefixes)
        self._interval_s = interval_s
        self._min_level = min_level
        self._clock = clock
        self._windows: dict[tuple[str, str], _Window] = {}
        self._lock = threading.Lock()  # handlers may be called from several threads

    def _limited(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self._min_level and any(
            record.name == p or record.name.startswith(f"{p}.") for p in self._prefixes
        )

    def _forget_expired(self, now: float) -> None:
        # Message templates are constants in the code, so kinds are few; this bounds memory
        # should a library ever log pre-formatted messages. An expired kind passes anyway.
        for key, window in list(self._windows.items()):
            if now - window.opened >= self._interval_s:
                del self._windows[key]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._limited(record):
            return True
        key = (record.name, str(record.msg))
        now = self._clock()
        with self._lock:
            window = self._windows.get(key)
            if window is not None and now - window.opened < self._interval_s:
                window.suppressed += 1
                return False
            if window is None and len(self._windows) >= _MAX_KINDS:
                self._forget_expired(now)
            self._windows[key] = _Window(opened=now)
        if window is not None and window.suppressed:
            # The message is formatted here, once, so the note cannot clash with its arguments.
            note = f"{window.suppressed} similar lines suppressed in {now - window.opened:.0f} s"
            record.msg = f"{record.getMessage()} ({note})"
            record.args = None
            record.suppressed = window.suppressed
        return True
