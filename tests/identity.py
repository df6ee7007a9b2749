"""The development identity provider for tests: started as a process of its own on a free
port, the way `make run` starts it, and its tokens checked the way a service checks them."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt

from devtools.dev_identity import DEFAULT_AUDIENCE
from scripts.platform import IdentityProvider, free_port


@contextmanager
def identity_provider(
    log_dir: Path, key_file: Path | None = None, port: int | None = None
) -> Iterator[IdentityProvider]:
    """A running issuer (on a free port unless given one); on leaving, checks that SIGTERM
    stopped it in time."""
    running = IdentityProvider(port=port or free_port(), key_file=key_file, log_dir=log_dir)
    running.start()
    try:
        yield running
    finally:
        assert running.stop() == -signal.SIGTERM, f"not stopped cleanly; see {running.log_file}"


async def validated(token: str, issuer: str, audience: str = DEFAULT_AUDIENCE) -> dict[str, Any]:
    """The token's claims, checked as a service checks them (discovery, then the JWKS, then
    signature, issuer, audience, expiry); raises if any check fails."""
    async with httpx.AsyncClient(timeout=5) as client:
        discovery = (await client.get(f"{issuer}/.well-known/openid-configuration")).json()
        jwks = jwt.PyJWKSet.from_dict((await client.get(discovery["jwks_uri"])).json())
    key = jwks[jwt.get_unverified_header(token)["kid"]]
    claims: dict[str, Any] = jwt.decode(
        token,
        key,
        algorithms=["RS256"],
        audience=audience,
        issuer=discovery["issuer"],
        options={"require": ["iss", "aud", "sub", "iat", "nbf", "exp", "jti"]},
    )
    return claims
