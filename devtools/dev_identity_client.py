"""Getting a token from the development identity provider (``devtools.dev_identity``), for tests
and local scripts: FOR DEVELOPMENT AND TESTS ONLY.

The requests are the ones any OAuth 2.0 client sends (form-encoded, to ``{issuer}/token``), so
a test that signs in this way exercises the same HTTP path a person with curl does. Async for
tests, sync for the launcher.
"""

from __future__ import annotations

import httpx

from devtools.dev_identity_grants import DEFAULT_AUDIENCE
from devtools.dev_identity_seed import DEV_PASSWORD

TIMEOUT_S = 10


class TokenRefused(Exception):
    """The issuer answered without a token; the message holds its error and description."""


def _password_form(
    username: str, password: str, audience: str, expires_in: int | None
) -> dict[str, str]:
    form = {"grant_type": "password", "username": username, "password": password}
    return _with_options(form, audience, expires_in)


def _client_form(
    client_id: str, client_secret: str, audience: str, expires_in: int | None
) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
    }
    return _with_options(form, audience, expires_in)


def _with_options(form: dict[str, str], audience: str, expires_in: int | None) -> dict[str, str]:
    form["audience"] = audience
    if expires_in is not None:
        form["expires_in"] = str(expires_in)
    return form


def _access_token(response: httpx.Response, who: str) -> str:
    if response.status_code != 200:
        raise TokenRefused(
            f"{response.request.url} refused a token for {who}: {response.status_code} "
            f"{response.text}"
        )
    token: str = response.json()["access_token"]
    return token


async def fetch_token(
    issuer: str,
    username: str,
    *,
    password: str = DEV_PASSWORD,
    audience: str = DEFAULT_AUDIENCE,
    expires_in: int | None = None,
) -> str:
    """An access token for seeded member of staff ``username`` (password grant)."""
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
        response = await client.post(
            f"{issuer.rstrip('/')}/token",
            data=_password_form(username, password, audience, expires_in),
        )
    return _access_token(response, username)


async def fetch_client_token(
    issuer: str,
    client_id: str,
    client_secret: str,
    *,
    audience: str = DEFAULT_AUDIENCE,
    expires_in: int | None = None,
) -> str:
    """An access token for seeded partner system ``client_id`` (client credentials)."""
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
        response = await client.post(
            f"{issuer.rstrip('/')}/token",
            data=_client_form(client_id, client_secret, audience, expires_in),
        )
    return _access_token(response, client_id)


def fetch_token_sync(
    issuer: str,
    username: str,
    *,
    password: str = DEV_PASSWORD,
    audience: str = DEFAULT_AUDIENCE,
    expires_in: int | None = None,
) -> str:
    """``fetch_token`` for code that runs no event loop (the launcher)."""
    response = httpx.post(
        f"{issuer.rstrip('/')}/token",
        data=_password_form(username, password, audience, expires_in),
        timeout=TIMEOUT_S,
    )
    return _access_token(response, username)


def fetch_client_token_sync(
    issuer: str,
    client_id: str,
    client_secret: str,
    *,
    audience: str = DEFAULT_AUDIENCE,
    expires_in: int | None = None,
) -> str:
    """``fetch_client_token`` for code that runs no event loop."""
    response = httpx.post(
        f"{issuer.rstrip('/')}/token",
        data=_client_form(client_id, client_secret, audience, expires_in),
        timeout=TIMEOUT_S,
    )
    return _access_token(response, client_id)
