"""Tests that call ``shared.logs.configure_logging`` change the process's loggers; this puts
them back."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from shared.logs import BROKER_LOGGER

TOUCHED = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "faststream", "faststream.access")


@contextmanager
def restored_logging() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in (*TOUCHED, BROKER_LOGGER)]
    saved = [(lg, list(lg.handlers), list(lg.filters), lg.level, lg.propagate) for lg in loggers]
    try:
        yield
    finally:
        for logger, handlers, filters, level, propagate in saved:
            logger.handlers[:] = handlers
            logger.filters[:] = filters
            logger.level, logger.propagate = level, propagate
