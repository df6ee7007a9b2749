"""What every service's HTTP routes share: the database connection and the outbox as FastAPI
dependencies (tests override them), the responses a route can give, and errors as JSON a
client can act on (never a traceback)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

from shared.councils import act_for
from shared.db import Connection, Database
from shared.failures import DATABASE_UNAVAILABLE
from shared.outbox import Outbox


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


def database(request: Request) -> Database:
    db: Database = request.app.state.database
    return db


async def connection(request: Request) -> AsyncIterator[Connection]:
    """A pooled connection for one request, acting for the caller's councils: row-level
    security shows it nothing else (and nothing at all on a route nobody signed in to)."""
    principal = getattr(request.state, "principal", None)
    async with database(request).pool().acquire() as conn:
        # For the session: the pool resets it (RESET ALL) when the connection goes back.
        await act_for(conn, principal.councils if principal else [], local=False)
        yield conn


def outbox(request: Request) -> Outbox:
    """The service's outbox: where a route's state change puts the events it causes."""
    box: Outbox = request.app.state.outbox
    return box


DbConnection = Annotated[Connection, Depends(connection)]
ServiceOutbox = Annotated[Outbox, Depends(outbox)]


def operation_id(route: APIRoute) -> str:
    """The route function's name (``create_referral``) as its OpenAPI ``operationId``."""
    return route.name


async def _unavailable(_: Request, __: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": "The service cannot reach its database right now. Try again shortly."},
        status_code=503,
        headers={"Retry-After": "5"},
    )


def install_error_handlers(app: FastAPI) -> None:
    """A database outage is a 503 with ``Retry-After``, for every route."""
    for error in DATABASE_UNAVAILABLE:
        app.add_exception_handler(error, _unavailable)
