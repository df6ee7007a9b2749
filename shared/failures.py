"""What kind of failure an exception is, so each is met the right way.

- **Outage**: PostgreSQL is not there. Not the event's fault: it is left unacknowledged and
  comes again once the database is back; never dead-lettered.
- **Transient**: the database refused this attempt but the next may pass (a serialisation
  failure, a deadlock, a lock or statement timeout): retried with backoff, a bounded number
  of times.
- **Permanent**: anything else (an invalid payload, an unknown referral, a broken domain rule,
  a bug). It fails the same way every time, so it is dead-lettered at once with the reason.
"""

from __future__ import annotations

import enum
import socket

import asyncpg
from pydantic import ValidationError


class Failure(enum.Enum):
    OUTAGE = "outage"
    TRANSIENT = "transient"
    PERMANENT = "permanent"


class InvalidEvent(ValueError):
    """The message is not a valid event of the expected type: retrying will not help."""


class DatabaseNotOpen(ConnectionError):
    """The service's pool is not open yet (starting) or any more (stopping)."""


DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    ConnectionError,  # refused, reset, aborted; and DatabaseNotOpen
    TimeoutError,  # connect or pool acquire timed out
    socket.gaierror,  # the database host name does not resolve (yet)
    asyncpg.PostgresConnectionError,  # the connection broke, or never was
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)
"""Errors that mean "the database is not there", not "this event is bad"."""

TRANSIENT: tuple[type[Exception], ...] = (
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.LockNotAvailableError,  # lock_timeout or NOWAIT
    asyncpg.QueryCanceledError,  # statement_timeout
)
"""Errors a later attempt of the same work can escape."""


def classify(exc: BaseException) -> Failure:
    """Which kind of failure ``exc`` is; by exception type only (never by message text)."""
    if isinstance(exc, TRANSIENT):
        return Failure.TRANSIENT
    if isinstance(exc, DATABASE_UNAVAILABLE) or _connection_lost(exc):
        return Failure.OUTAGE
    return Failure.PERMANENT


def _connection_lost(exc: BaseException) -> bool:
    """An ``InterfaceError`` raised because the connection had gone: the database went away in
    the middle of a transaction (a restart's "terminating connection"), and leaving the
    transaction then finds the connection closed. The loss is the error it was raised while
    handling (its context): an outage, not a bug of ours."""
    if not isinstance(exc, asyncpg.InterfaceError):
        return False
    seen: set[int] = set()
    cause = exc.__cause__ or exc.__context__
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, DATABASE_UNAVAILABLE):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def reason(exc: BaseException) -> str:
    """Why ``exc`` happened, fit for a dead-letter header or a log line: for a validation error,
    each field and what is wrong with it, never the value (it may be personal data)."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
            for err in exc.errors()
        )
    return str(exc)
