"""An application's state, typed: what its routes, handlers and jobs are given, in place of
FastAPI's untyped ``app.state`` bag (whose one key, ``service``, holds it).

``AppState`` is what the operations routes need of any app (the workspace's too);
``ServiceState`` what every service of the platform has beside it (``shared.lifecycle`` builds
it); ``own`` is the service's own part, a frozen dataclass of its module ``<service>/state.py``,
which gives its routes one typed dependency (``state_of``) and its handlers and jobs the same
part through their unit of work (``uow.service``) or the state they are run with.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from fastapi import Request
from faststream.kafka import KafkaBroker
from pydantic import SecretStr
from starlette.types import ASGIApp

from shared.db import Database
from shared.outbox import Outbox
from shared.settings import ServiceSettings
from shared.unit_of_work import Work

if TYPE_CHECKING:  # each reads its app's state through this module
    from shared.auth import IdentityProvider
    from shared.operations import Operations

Own = TypeVar("Own")


@dataclass(frozen=True)
class AppState:
    """What the operations routes (``shared.operations``) read of any app."""

    operations: Operations
    public_docs: bool


@dataclass(frozen=True)
class ServiceState(AppState):
    """What every service has: its settings, database, units of work, broker and the identity
    provider its callers' tokens are checked with; ``own`` is the service's own part (``None``
    for a service with none)."""

    settings: ServiceSettings
    database: Database
    outbox: Outbox
    work: Work
    broker: KafkaBroker
    identity_provider: IdentityProvider
    family_link_key: SecretStr
    own: object = None


def install(app: object, state: AppState) -> None:
    """Make ``state`` the state of ``app`` (its wiring does, once; tests replace it)."""
    app.state.service = state  # type: ignore[attr-defined]  # Starlette's untyped bag


def app_state(app: ASGIApp | object) -> AppState:
    """The typed state of ``app`` (a Starlette application)."""
    state = getattr(getattr(app, "state", None), "service", None)
    if not isinstance(state, AppState):
        raise RuntimeError("the app has no state: shared.state.install was not called")
    return state


def service_state(app: ASGIApp | object) -> ServiceState:
    """The state of a platform service's ``app`` (not the workspace's)."""
    state = app_state(app)
    if not isinstance(state, ServiceState):
        raise RuntimeError(f"{type(state).__name__} is not a service's state")
    return state


def state_of(request: Request) -> AppState:
    """The request's app's state: what the operations routes read."""
    return app_state(request.app)


def service_of(request: Request) -> ServiceState:
    """The request's service's state (a FastAPI dependency)."""
    return service_state(request.app)


def own_part(service: object, kind: type[Own]) -> Own:
    """``service`` (a ``ServiceState.own`` or ``UnitOfWork.service``) as the service's own
    part ``kind``: a service's ``state_of`` and handlers reach it so, typed."""
    if not isinstance(service, kind):
        raise RuntimeError(f"the service's own state is not a {kind.__name__}: {service!r:.60}")
    return service


def own_state(kind: type[Own]) -> Callable[[Request], Own]:
    """A service's ``state_of``: the request's service's own part, as ``kind`` (its routes
    take it as a FastAPI dependency through ``on_loop``:
    ``Annotated[kind, Depends(on_loop(state_of))]``)."""

    def state_of(request: Request) -> Own:
        return own_part(service_of(request).own, kind)

    state_of.__doc__ = f"{kind.__name__}: the service's own state, for a route."
    return state_of


Read = TypeVar("Read")


def on_loop(read: Callable[[Request], Read]) -> Callable[[Request], Awaitable[Read]]:
    """``read`` (a look-up in the request's app state that never blocks: ``state_of``,
    ``service_of``) as a FastAPI dependency awaited on the event loop. Given the plain ``def``
    itself, FastAPI would run it in a worker thread for every request (a thread hop, a queue
    and the GIL handed over and back: 4.4% of the referrals process's CPU at 50 referrals/s,
    issue #25); ``tests/unit/test_dependencies_on_loop.py`` keeps every route's so."""

    async def dependency(request: Request) -> Read:
        return read(request)

    dependency.__doc__ = read.__doc__
    dependency.__qualname__ = f"on_loop({read.__qualname__})"
    return dependency
