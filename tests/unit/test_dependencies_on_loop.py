"""Every route of every service runs its dependencies on the event loop: FastAPI runs a plain
``def`` dependency (or route function) in a worker thread (``run_in_threadpool``: a hop to the
thread, a queue, the GIL handed over and back), which cost 4.4% of the referrals process's CPU at
50 referrals/s (issue #25) for functions that only read the request's state. A dependency that
must block (a file read, a PDF rendered, a password hashed) stays a plain ``def`` only when it is
in ``BLOCKING`` with the reason."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from functools import partial
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from shared.services import SERVICES

BLOCKING: dict[str, str] = {}
"""Dependencies (``module.qualname``) that do blocking work, so belong off the loop: why each."""


def _on_loop(call: Callable[..., Any]) -> bool:
    """Whether FastAPI awaits ``call`` on the loop: a coroutine or async generator function,
    or an object whose ``__call__`` is one (``shared.auth.Allow``, FastAPI's ``HTTPBearer``).
    A class (a model as ``Depends()``) is instantiated in a thread, as a plain ``def`` is."""
    while isinstance(call, partial):
        call = call.func
    call = inspect.unwrap(call)
    if inspect.isclass(call):
        return False
    # An instance's ``__call__`` is what FastAPI awaits; not a test of being callable.
    for candidate in (call, getattr(call, "__call__", None)):  # noqa: B004
        if inspect.iscoroutinefunction(candidate) or inspect.isasyncgenfunction(candidate):
            return True
    return False


def _name(call: Callable[..., Any]) -> str:
    named = call if inspect.isroutine(call) or inspect.isclass(call) else type(call)
    return f"{named.__module__}.{named.__qualname__}"


def _walk(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    """The dependencies of ``dependant`` (its route's ``dependencies=`` and its parameters'),
    and theirs, depth first."""
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _walk(sub)


def off_loop(app: FastAPI) -> dict[str, set[str]]:
    """By dependency (or route function) run in a worker thread, the routes that run it."""
    found: dict[str, set[str]] = {}
    for route in iter_route_contexts(app.routes):
        dependant: Dependant | None = getattr(route, "dependant", None)
        if dependant is None:  # not a FastAPI route (a mount, Starlette's own)
            continue
        calls = [*_walk(dependant), *([dependant.call] if dependant.call else [])]
        for call in calls:
            if not _on_loop(call):
                found.setdefault(_name(call), set()).add(
                    f"{sorted(route.methods or ())} {route.path}"
                )
    return found


def _routes(app: FastAPI) -> set[str]:
    return {
        f"{sorted(r.methods or ())} {r.path}"
        for r in iter_route_contexts(app.routes)
        if getattr(r, "dependant", None) is not None
    }


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_dependency_of_a_service_runs_on_the_event_loop(service: str) -> None:
    app = importlib.import_module(f"{SERVICES[service].package}.app").create_app()
    assert len(_routes(app)) > 5  # the walk sees the service's routes (routers included)
    threaded = {name: routes for name, routes in off_loop(app).items() if name not in BLOCKING}
    assert threaded == {}, (
        "make these `async def` (they run in a worker thread for every request), or list them "
        "in BLOCKING with why they must block"
    )


# A made-up app's dependencies, at module level: its annotations (strings, under
# ``from __future__ import annotations``) are resolved in this module's globals.
def _councils(request: Request) -> list[str]:
    return []


async def _principal(found: Annotated[list[str], Depends(_councils)]) -> str:
    return "someone"


def _audited() -> None:
    return None


class _Page:
    def __init__(self, size: int = 10) -> None:
        self.size = size


async def _caller(request: Request) -> str:
    return "someone"


def test_the_walk_finds_a_plain_def_dependency_at_any_depth() -> None:
    """The check above would catch one: in a route's ``dependencies=``, a parameter's, a
    dependency's own, a class, or the route function itself."""
    app = FastAPI()

    @app.get("/nested", dependencies=[Depends(_audited)])
    async def nested(who: Annotated[str, Depends(_principal)]) -> str:
        return who

    @app.get("/paged")
    async def paged(
        page: Annotated[_Page, Depends()], who: Annotated[str, Depends(_caller)]
    ) -> int:
        return page.size

    @app.get("/plain")
    def plain(who: Annotated[str, Depends(_caller)]) -> str:
        return who

    found = off_loop(app)
    assert set(found) == {
        f"{__name__}._councils",
        f"{__name__}._audited",
        f"{__name__}._Page",
        f"{__name__}.{test_the_walk_finds_a_plain_def_dependency_at_any_depth.__name__}"
        ".<locals>.plain",
    }
    assert found[f"{__name__}._councils"] == {"['GET'] /nested"}


def test_the_intake_route_is_walked_with_its_access_rule() -> None:
    """The walk reaches the routes included from routers, with their ``dependencies=``: the
    referrals intake's ``allow(...)`` is an ``Allow`` instance, awaited on the loop."""
    from shared.auth import Allow

    app = importlib.import_module("referrals.app").create_app()
    intake = next(
        r
        for r in iter_route_contexts(app.routes)
        if r.path == "/v1/referrals" and "POST" in (r.methods or ())
    )
    calls = list(_walk(intake.dependant))
    assert any(isinstance(c, Allow) for c in calls)
    assert all(_on_loop(c) for c in calls)
