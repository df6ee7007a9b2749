"""A small app for the hardening tests: routes that answer, fail and read bodies the ways a
service's routes do, hardened by the same ``harden`` every service calls."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import limits.aio.storage.memory
import pytest
from fastapi import APIRouter, FastAPI, Request, status
from pydantic import BaseModel, Field
from referrals.config import ReferralsSettings

from shared.auth import CurrentPrincipal, IdentityProvider, Principal, Role, allow, unauthorised
from shared.failures import DatabaseNotOpen
from shared.hardening import harden
from shared.http import install_error_handlers
from shared.rate_limits import Clock
from shared.state import install
from tests.app_state import bare_state, with_state

router = APIRouter(prefix="/v1")

NHS_NUMBER = "9434765919"
CHILD_NAME = "Zebedee Quartermaine"


class Child(BaseModel):
    given_name: str
    nhs_number: str = Field(pattern=r"^\d{10}$")
    postcode: str


@router.get("/things")
async def list_things() -> dict[str, list[str]]:
    return {"things": []}


@router.post("/things", status_code=status.HTTP_201_CREATED)
async def add_thing(child: Child) -> dict[str, bool]:
    return {"stored": True}


@router.post("/sizes")
async def body_size(request: Request) -> dict[str, int]:
    return {"bytes": len(await request.body())}


@router.get("/broken")
async def broken() -> None:
    raise RuntimeError(f"SELECT * FROM children WHERE given_name = '{CHILD_NAME}'")


@router.post("/broken")
async def broken_with_body(child: Child) -> None:
    raise RuntimeError("the route failed after reading the body")


@router.get("/duplicate")
async def duplicate() -> None:
    # What asyncpg raises for a duplicate key: its message and detail quote the value and it
    # carries the statement.
    raise asyncpg.UniqueViolationError.new(
        {
            "S": "ERROR",
            "C": "23505",
            "M": 'duplicate key value violates unique constraint "children_nhs_number_key"',
            "D": f"Key (nhs_number)=({NHS_NUMBER}) already exists.",
            "t": "children",
            "n": "children_nhs_number_key",
        },
        query="INSERT INTO children (given_name, nhs_number) VALUES ($1, $2)",
    )


@router.get("/unavailable")
async def unavailable() -> None:
    raise DatabaseNotOpen("the database pool is not open")


@router.get("/family/{link}")
async def family_view(link: str) -> dict[str, str]:
    return {"status": "in progress"}


@router.post(
    "/caseworker-things",
    status_code=status.HTTP_201_CREATED,
    dependencies=[allow(Role.CASEWORKER)],
)
async def add_caseworker_thing(principal: CurrentPrincipal) -> dict[str, str]:
    return {"by": principal.subject}


def hardened_app(*, clock: Clock = time.time, **settings: Any) -> FastAPI:
    """The test routes, with the service's error handlers and ``harden``; ``settings`` are
    ``ServiceSettings`` fields (``rate_limit_post="2/minute"``)."""
    app = FastAPI()
    install(app, bare_state())  # its identity provider given by the test (signed_in)
    app.include_router(router)
    install_error_handlers(app)
    harden(app, ReferralsSettings(**settings), clock=clock)
    return app


@asynccontextmanager
async def client_of(
    app: FastAPI, client: tuple[str, int] = ("192.0.2.10", 50000)
) -> AsyncIterator[httpx.AsyncClient]:
    """Real HTTP through the app; ``client`` is the peer address the app sees."""
    transport = httpx.ASGITransport(app=app, client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
        yield http


class FakeClock:
    """Time that moves only when a test moves it."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def time(self) -> float:  # as the ``time`` module, for limits' memory storage
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def freeze_time(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """A clock the rate limits and limits' in-memory storage both read. The storage has no
    clock parameter (it calls ``time.time()``), so its module's ``time`` is replaced."""
    clock = FakeClock()
    monkeypatch.setattr(limits.aio.storage.memory, "time", clock)
    return clock


class SignedInCaseworker(IdentityProvider):
    """Takes any bearer token as a Leeds caseworker's: for tests of what happens after
    sign-in (token checks themselves are tested against the real development provider)."""

    def __init__(self) -> None:
        super().__init__(issuer="http://127.0.0.1:1", audience="send-platform")

    async def principal(self, token: str) -> Principal:
        return Principal("leeds-caseworker", frozenset({"caseworker"}), ("E08000035",))


class Tokens(IdentityProvider):
    """Takes each token it was given for its caseworker, and refuses any other as the real
    provider refuses a bad one (401); counts the checks it makes."""

    def __init__(self, subjects: dict[str, str]) -> None:
        super().__init__(issuer="http://127.0.0.1:1", audience="send-platform")
        self.subjects = subjects
        self.checked = 0

    async def principal(self, token: str) -> Principal:
        self.checked += 1
        if token not in self.subjects:
            raise unauthorised("the token was refused")
        return Principal(self.subjects[token], frozenset({"caseworker"}), ("E08000035",))


SIGNED_IN = {"Authorization": "Bearer any"}


def signed_in(app: FastAPI) -> FastAPI:
    """``app`` with every caller taken for a Leeds caseworker."""
    with_state(app, identity_provider=SignedInCaseworker())
    return app
