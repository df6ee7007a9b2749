"""Rate limits per client: on every request that changes something (POST, PUT, PATCH, DELETE)
and on the family link, answered 429 with ``Retry-After``.

Built as a small pure ASGI middleware around the ``limits`` library (its async fixed-window
limiter and its storages), rather than with ``slowapi``: slowapi limits routes through
decorators (each route must take a ``Request``) or through a ``BaseHTTPMiddleware``, and calls
the synchronous ``limits`` storages, which would block the event loop on Redis. Here the
policy is the platform's own (by method and path prefix, never on ``/health/*`` or
``/metrics``) and the algorithm and storage are ``limits``'.

Fixed window, per client and rule: one counter with an expiry in every storage (an INCR on
Redis), and ``Retry-After`` is exactly when the client's window ends. A client can send up to
twice the limit across a window boundary; for abuse control, not billing, that is acceptable.

With ``memory://`` every process counts alone (N replicas: N times the limit); a storage every
replica shares (``RATE_LIMIT_STORAGE=redis://host:6379``) gives one limit across them. If it
cannot be reached, requests pass (a warning logged): the service stays up for caseworkers.

The client is the subject of a sign-in token that verifies (as its SHA-256): colleagues
behind one council address count apart. The token is verified here by ``shared.auth.verified``,
which keeps the outcome for the route's ``allow`` (one check a request). Anyone else, a token
that does not verify and every family route (they read no ``Authorization``) count against
the address: the right-most ``X-Forwarded-For`` hop that is not one of ``TRUSTED_PROXIES``;
so does every public route (``/v1/public``: a request made with no account), which also has
a rule of its own (``RATE_LIMIT_PUBLIC``), and every provider's callback (``callbacks``:
GOV.UK Notify's delivery receipts, whose bearer is the council's callback token, checked by
the route, never a sign-in token: trying it as one was ~20% of a receipt's HTTP path in
process, 1% of the notifications process at 50 referrals/s, issue #25).
A made-up header on each request buys no new counter.

(Longer than most modules: who the client is (a token's subject, a session's, an address
behind trusted proxies) and how each rule counts them are one policy, reviewed together.)
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address

import limits
from fastapi import HTTPException
from fastapi.security.utils import get_authorization_scheme_param
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.auth import verified

Clock = Callable[[], float]
"""Seconds since the epoch, as the storages count them (``time.time``); tests move their own."""

SUBJECT = "rate_limit_subject"
"""Where an outer middleware that has checked who is asking puts their subject."""

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
NEVER_LIMITED = ("/health/", "/metrics")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rule:
    """One limit (``60/minute``, or several) and the requests it counts."""

    name: str
    limits: Sequence[limits.RateLimitItem]
    methods: frozenset[str] | None = None  # None: every method
    path_prefix: str = "/"

    def applies(self, method: str, path: str) -> bool:
        prefix = self.path_prefix.rstrip("/")
        under = path == prefix or path.startswith(f"{prefix}/")
        return under and (self.methods is None or method in self.methods)


PUBLIC_PREFIX = "/v1/public"
"""Routes anyone may call without an account (a request made on the public form, and its
confirmation): counted by address, like the family's."""


def rules(*, post: str, family: str, family_prefix: str, public: str | None = None) -> list[Rule]:
    """The platform's rules, from ``RATE_LIMIT_POST``, ``RATE_LIMIT_FAMILY`` and
    ``RATE_LIMIT_PUBLIC`` (on changes under ``PUBLIC_PREFIX``, besides the first)."""
    found = [
        Rule("post", limits.parse_many(post), methods=MUTATING_METHODS),
        Rule("family", limits.parse_many(family), path_prefix=family_prefix),
    ]
    if public:
        found.append(
            Rule(
                "public",
                limits.parse_many(public),
                methods=MUTATING_METHODS,
                path_prefix=PUBLIC_PREFIX,
            )
        )
    return found


def async_storage(uri: str) -> Storage:
    """The ``limits`` storage at ``uri`` (``memory://``, ``redis://...``), in its asyncio form."""
    try:
        storage = storage_from_string(uri if uri.startswith("async+") else f"async+{uri}")
    except ConfigurationError as exc:
        raise ValueError(
            f"RATE_LIMIT_STORAGE {uri!r}: {exc}. Give memory:// or a storage `limits` supports "
            "(redis://host:6379 needs the limits[async-redis] extra installed)"
        ) from exc
    if not isinstance(storage, Storage):  # pragma: no cover  # async+ always gives one
        raise TypeError(f"RATE_LIMIT_STORAGE {uri!r} has no asyncio storage in `limits`")
    return storage


async def client_key(
    scope: Scope, trusted_proxies: Sequence[IPv4Network | IPv6Network], *, by_address: bool
) -> str:
    """Who is asking: the subject of a sign-in token that verifies (unless ``by_address``),
    or of a session an outer middleware has already opened (``scope["rate_limit_subject"]``:
    the workspace's signed-in person, whose browser sends a cookie, not a token), else the
    client's address."""
    headers = Headers(scope=scope)
    signed_in = scope.get(SUBJECT)
    if not by_address and isinstance(signed_in, str) and signed_in:
        return "sub:" + hashlib.sha256(signed_in.encode()).hexdigest()
    scheme, token = get_authorization_scheme_param(headers.get("authorization"))
    if not by_address and scheme.lower() == "bearer" and token:
        try:
            principal = await verified(scope, token)
        except HTTPException:
            pass  # refused: counted by address (the route answers 401 or 503 itself)
        else:
            return "sub:" + hashlib.sha256(principal.subject.encode()).hexdigest()
    peer = scope["client"][0] if scope.get("client") else "unknown"
    return "ip:" + client_address(peer, headers.getlist("x-forwarded-for"), trusted_proxies)


def client_address(
    peer: str, forwarded_for: list[str], trusted: Sequence[IPv4Network | IPv6Network]
) -> str:
    """The first address, from the right, that is not a trusted proxy: a client can put
    anything at the left of ``X-Forwarded-For``, only what the proxies appended is true."""
    hops = [hop.strip() for line in forwarded_for for hop in line.split(",") if hop.strip()]
    address = peer
    while hops and _is_trusted(address, trusted):  # no hops: no address to parse
        address = hops.pop()
    return address


def _is_trusted(address: str, trusted: Sequence[IPv4Network | IPv6Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


class RateLimits:
    """Counts each client's requests against every rule that applies; 429 once one is spent."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        rules: Sequence[Rule],
        storage: Storage,
        namespace: str,
        trusted_proxies: Sequence[IPv4Network | IPv6Network] = (),
        family_prefix: str = "/v1/family",
        callbacks: Sequence[str] = (),
        clock: Clock = time.time,
    ) -> None:
        self.app = app
        self.rules = rules
        # Counted by address whatever the request holds: a family's link, nothing at all, or
        # a provider's own token (``callbacks``: paths whose bearer is never a sign-in token).
        self.by_address = (
            Rule("family routes", (), path_prefix=family_prefix),
            Rule("public routes", (), path_prefix=PUBLIC_PREFIX),
            *(Rule("provider callbacks", (), path_prefix=path) for path in callbacks),
        )
        self.limiter = FixedWindowRateLimiter(storage)
        self.namespace = namespace
        self.trusted_proxies = trusted_proxies
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(NEVER_LIMITED):
            await self.app(scope, receive, send)
            return
        applying = [r for r in self.rules if r.applies(scope["method"], scope["path"])]
        if applying:
            by_address = any(r.applies(scope["method"], scope["path"]) for r in self.by_address)
            client = await client_key(scope, self.trusted_proxies, by_address=by_address)
            for rule in applying:
                key = (self.namespace, rule.name, client)
                retry_after = await spend(self.limiter, rule.limits, key, clock=self.clock)
                if retry_after is not None:
                    response = JSONResponse(
                        {"detail": too_many(retry_after)},
                        status_code=429,
                        headers={"Retry-After": str(retry_after)},
                    )
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def too_many(retry_after: int) -> str:
    """What a client that spent its limit is told."""
    return f"Too many requests. Try again in {retry_after} seconds."


async def spend(
    limiter: FixedWindowRateLimiter,
    items: Sequence[limits.RateLimitItem],
    key: tuple[str, ...],
    *,
    clock: Clock = time.time,
) -> int | None:
    """Counts one request of ``key`` against each of ``items``: ``None`` if allowed, else the
    seconds until it may be made. A storage that fails lets it through (a warning logged)."""
    for item in items:
        try:
            if await limiter.hit(item, *key):
                continue
            reset_at, _ = await limiter.get_window_stats(item, *key)
        except Exception as exc:  # any storage failure: let the request through
            logger.warning("rate limit storage failed (%s); not limiting", type(exc).__name__)
            return None
        return max(1, math.ceil(reset_at - clock()))
    return None
