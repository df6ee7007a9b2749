"""What every service's HTTP routes share: the database connection and the service's units of
work as FastAPI dependencies (tests override them), the responses a route can give, and errors
as JSON a client can act on (never a traceback)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

from shared import request_ids
from shared.councils import act_for
from shared.db import Connection, Database
from shared.failures import DATABASE_UNAVAILABLE, Failure, classify
from shared.state import service_of
from shared.unit_of_work import Actor, Isolation, UnitOfWork, Work, session_acts_for

logger = logging.getLogger(__name__)


class Problem(BaseModel):
    """An error a client can act on."""

    detail: str


UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": Problem, "description": "The service cannot reach its database; try again"}
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem, "description": "Not found"}}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "Conflicts with what is stored"}
}


def invalid(
    problems: Iterable[tuple[tuple[str | int, ...], str]], where: str = "body"
) -> RequestValidationError:
    """A 422 naming each field (within ``where``: the body, the query) and why, as FastAPI's
    own validation gives it: for rules a request model cannot check by itself."""
    return RequestValidationError(
        [{"loc": (where, *loc), "msg": msg, "type": "value_error"} for loc, msg in problems]
    )


def database(request: Request) -> Database:
    return service_of(request).database


async def connection(request: Request) -> AsyncIterator[Connection]:
    """A pooled connection for one request, acting for the caller's councils: row-level
    security shows it nothing else (and nothing at all on a route nobody signed in to).

    The councils are set for the connection's session, not with ``SET LOCAL`` in one
    transaction the request runs in, because routes manage their own transactions: several
    open ``repeatable_read`` ones (asyncpg refuses one nested in a transaction of another
    isolation level), some commit in steps, and some read outside any. That is safe because
    the connection is this request's alone until it goes back to the pool, and asyncpg's pool
    resets it on the way back: it rolls back any transaction left open, then runs
    ``RESET ALL`` (``Connection.get_reset_query``; ``create_pool`` passes no ``reset`` of its
    own), which sets ``send.local_authorities`` back to empty, i.e. no council. A reset that
    fails terminates the connection instead of reusing it. ``tests/integration/
    test_council_boundaries.py`` proves a returned connection acts for nobody.

    A unit of work on this connection for exactly the caller's councils (``AsCaller``'s, or a
    caller of one council's) acts for them without setting them again
    (``shared.unit_of_work.session_acts_for``)."""
    principal = getattr(request.state, "principal", None)
    councils = list(principal.councils) if principal else []
    pool = database(request).pool()
    conn = await pool.acquire()
    try:
        await act_for(conn, councils, local=False)
        session_acts_for(conn, councils)
        yield conn
    finally:
        # Whether the connection went with the database (a restart), for
        # ``_unavailable_if_lost``: read before it goes back to the pool.
        request.state.database_connection_lost = _lost(conn)
        try:
            await pool.release(conn)
        except Exception as exc:  # the answer is given; the pool dropped it
            # asyncpg terminates a connection whose reset fails (it opens another next time),
            # so nothing is left to clean; raising would only fail a request already answered.
            logger.warning("a connection could not be reset: %s", type(exc).__name__)


def _lost(conn: Connection) -> bool:
    """The connection closed under the request, or already handed back to the pool (asyncpg
    does so when the connection is lost)."""
    try:
        return conn.is_closed()
    except asyncpg.InterfaceError:
        return True


async def work(request: Request) -> Work:
    """The service's units of work (``shared.unit_of_work``): how a route changes state. (An
    ``async def``, as every dependency that does not block: FastAPI runs a plain ``def`` in a
    worker thread, ``tests/unit/test_dependencies_on_loop.py``.)"""
    return service_of(request).work


def actor_of(request: Request) -> Actor:
    """Who this request acts as, for the audit trail: the caller its route's ``allow(...)``
    (or a family's link) let in, with the server's id of the request and the caller's own."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        raise RuntimeError("route has no allow(...) dependency")  # a bug: caught by the walk
    request_id, client_request_id = request_ids.request_ids(request)
    return Actor(
        principal.subject,
        tuple(sorted(principal.roles)),
        request_id=request_id,
        client_request_id=client_request_id,
    )


DbConnection = Annotated[Connection, Depends(connection)]
ServiceWork = Annotated[Work, Depends(work)]


@dataclass(frozen=True)
class CallerWork:
    """A request's units of work: as its caller (``actor_of``), for the councils they act
    for, on the request's connection. How a route changes state, or reads a child's record
    (audited with ``uow.read``)."""

    work: Work
    conn: Connection
    actor: Actor
    councils: tuple[str, ...]

    def begin(
        self,
        *,
        isolation: Isolation = "read_committed",
        idempotency_key: str | None = None,
        request: Any = None,
    ) -> AbstractAsyncContextManager[UnitOfWork]:
        return self.work.begin(
            self.actor,
            councils=self.councils,
            idempotency_key=idempotency_key,
            request=request,
            isolation=isolation,
            conn=self.conn,
        )


async def caller_work(request: Request, work: ServiceWork, conn: DbConnection) -> CallerWork:
    """The caller's units of work (their route's ``allow(...)`` or family link ran first)."""
    actor = actor_of(request)
    return CallerWork(work, conn, actor, tuple(request.state.principal.councils))


AsCaller = Annotated[CallerWork, Depends(caller_work)]


def operation_id(route: APIRoute) -> str:
    """The route function's name (``create_referral``) as its OpenAPI ``operationId``."""
    return route.name


async def _unavailable(_: Request, __: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": "The service cannot reach its database right now. Try again shortly."},
        status_code=503,
        headers={"Retry-After": "5"},
    )


async def _unavailable_if_lost(request: Request, exc: Exception) -> JSONResponse:
    """asyncpg's own errors (``InterfaceError``, ``InternalClientError``): a 503 when the
    request's connection went with the database (a restart in the middle of the request: the
    statement or the transaction's end finds the connection gone), else the bug it is (raised
    again: a 500)."""
    lost = getattr(request.state, "database_connection_lost", False)
    if classify(exc) is not Failure.OUTAGE and not lost:
        raise exc
    return await _unavailable(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    """A database outage is a 503 with ``Retry-After``, for every route."""
    for error in DATABASE_UNAVAILABLE:
        app.add_exception_handler(error, _unavailable)
    for error in (asyncpg.InterfaceError, asyncpg.InternalClientError):
        app.add_exception_handler(error, _unavailable_if_lost)
