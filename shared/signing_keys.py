"""The identity provider's signing keys (its JWKS), fetched on demand and kept.

Fetched on the first token and again when a token names a key not seen yet (key rotation), at
most every ``refresh_interval_s``. One fetch at a time: requests naming unknown keys while a
fetch is under way wait for that one, so an outage costs one timeout, not one per request. A
failed fetch (the provider down, a broken document) is not tried again for ``retry_backoff_s``,
doubling to ``retry_backoff_max_s`` while it keeps failing; meanwhile a token naming a key not
yet known is answered at once (``ProviderUnavailable``, a 503 with ``Retry-After``), and
tokens with a known key are checked as ever.

A published key that cannot be used (no ``kid``, a type other than RSA or EC, parameters that
do not load) is skipped and logged by its ``kid`` and ``kty``, never its parameters; the other
keys are kept, so one odd key never stops sign-in.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

logger = logging.getLogger(__name__)

USABLE_KEY_TYPES = frozenset({"RSA", "EC"})
"""The JWK types of the algorithms tokens may use (RS256, PS256: RSA; ES256: EC). Never a
symmetric ``oct`` key: a published secret is no secret."""


class KeyNotPublished(Exception):
    """The token names a key the provider does not publish (as of the last fetch)."""


class ProviderUnavailable(Exception):
    """The keys could not be fetched; try again after ``retry_after_s``."""

    def __init__(self, retry_after_s: float) -> None:
        super().__init__(
            f"the identity provider's keys cannot be fetched; retry in {retry_after_s:.0f} s"
        )
        self.retry_after_s = retry_after_s


@dataclass
class SigningKeys:
    """One identity provider's published signing keys."""

    issuer: str
    jwks_url: str | None = None
    refresh_interval_s: float = 30.0
    retry_backoff_s: float = 1.0
    retry_backoff_max_s: float = 30.0
    timeout_s: float = 5.0
    clock: Callable[[], float] = time.monotonic
    _keys: dict[str, jwt.PyJWK] = field(default_factory=dict, repr=False)
    _fetched_at: float = field(default=float("-inf"), repr=False)
    _failures: int = field(default=0, repr=False)
    _retry_at: float = field(default=float("-inf"), repr=False)
    _fetching: asyncio.Task[None] | None = field(default=None, repr=False)

    async def key(self, kid: str) -> jwt.PyJWK:
        """The key ``kid``; raises ``KeyNotPublished`` or ``ProviderUnavailable``."""
        if kid not in self._keys and self.clock() - self._fetched_at >= self.refresh_interval_s:
            await self._refresh()
        found = self._keys.get(kid)
        if found is None:
            raise KeyNotPublished(kid)
        return found

    async def _refresh(self) -> None:
        """Join the fetch under way, or start one unless the last failed too recently."""
        if self._fetching is None:
            wait = self._retry_at - self.clock()
            if wait > 0:
                raise ProviderUnavailable(wait)
            self._fetching = asyncio.create_task(self._fetch(), name="jwks-fetch")
            self._fetching.add_done_callback(self._fetched)  # first: before any waiter wakes
        # Shielded: a request that goes away (its client hung up) leaves the fetch to the rest.
        await asyncio.shield(self._fetching)
        if self._failures:
            raise ProviderUnavailable(self._retry_at - self.clock())

    def _fetched(self, _: asyncio.Task[None]) -> None:
        self._fetching = None

    async def _fetch(self) -> None:
        """Fetch the JWKS and record the outcome (the keys, or the failure and when to try
        again); never raises, so every request waiting on it reads the same outcome."""
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                url = self.jwks_url
                if url is None:
                    discovery = f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"
                    url = (await client.get(discovery)).raise_for_status().json()["jwks_uri"]
                published = (await client.get(url)).raise_for_status().json()["keys"]
            if not isinstance(published, list):
                raise TypeError("the JWKS's keys is not a list")
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            self._failures += 1
            backoff = min(
                self.retry_backoff_max_s, self.retry_backoff_s * 2 ** (self._failures - 1)
            )
            self._retry_at = self.clock() + backoff
            logger.warning(
                "cannot fetch the identity provider's signing keys (%s; %d failure(s) in a "
                "row): not trying again for %.0f s",
                type(exc).__name__,
                self._failures,
                backoff,
            )
            return
        self._failures = 0
        self._fetched_at = self.clock()
        self._keys = usable_keys(published)


def usable_keys(published: list[Any]) -> dict[str, jwt.PyJWK]:
    """The keys of a JWKS's ``keys`` that tokens can be checked with, by ``kid``; the rest
    skipped and logged (encryption keys, ``use: enc``, silently)."""
    keys: dict[str, jwt.PyJWK] = {}
    for entry in published:
        if not isinstance(entry, dict):
            logger.warning("identity provider key skipped: not a JSON object")
            continue
        if entry.get("use", "sig") != "sig":
            continue
        kid, kty = entry.get("kid"), entry.get("kty")
        if not isinstance(kid, str) or not kid:
            problem = "it has no kid"
        elif kty not in USABLE_KEY_TYPES:
            problem = "its type is not RSA or EC"
        else:
            try:
                keys[kid] = jwt.PyJWK(entry)
                continue
            except (jwt.PyJWTError, ValueError, TypeError) as exc:
                problem = f"it does not load ({type(exc).__name__})"
        logger.warning(
            "identity provider key skipped: kid %s, kty %s: %s", _shown(kid), _shown(kty), problem
        )
    return keys


def _shown(value: Any) -> str:
    """A key's ``kid`` or ``kty`` as a log line may show it: a short string, or its absence."""
    return repr(value[:80]) if isinstance(value, str) else "(none)"
