"""The development identity provider keeps its signing key in a key file, so a token fetched
before `make run` restarts still works after it."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import httpx
import jwt
import pytest
from referrals.app import create_app

from devtools.dev_identity import fetch_token
from shared import auth
from shared.state import service_state
from tests.identity import identity_provider, validated


def published_kid(issuer: str) -> str:
    [key] = httpx.get(f"{issuer}/jwks.json").json()["keys"]
    kid: str = key["kid"]
    return kid


async def test_restart_with_the_key_file_keeps_the_key_and_earlier_tokens_validate(
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "dev-identity" / "key.pem"
    with identity_provider(tmp_path, key_file) as first:
        token = await fetch_token(first.issuer, "bradford-caseworker")
        kid_before = published_kid(first.issuer)

    with identity_provider(tmp_path, key_file, port=first.port) as restarted:
        assert published_kid(restarted.issuer) == kid_before
        claims = await validated(token, restarted.issuer)

    assert claims["sub"] == "bradford-caseworker"


async def test_restart_without_a_key_file_forgets_the_key(tmp_path: Path) -> None:
    with identity_provider(tmp_path) as first:
        token = await fetch_token(first.issuer, "bradford-caseworker")
        kid_before = published_kid(first.issuer)

    with identity_provider(tmp_path, port=first.port) as restarted:
        assert published_kid(restarted.issuer) != kid_before
        with pytest.raises(KeyError, match=kid_before):
            await validated(token, restarted.issuer)


async def test_a_service_accepts_the_new_key_after_a_rotation_once_it_refetches_the_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The provider restarted with a new signing key (a key rotation): a service that cached
    the old key fetches the JWKS again on the unknown ``kid`` (at most every
    ``refresh_interval_s``) and accepts the new tokens; the old key's tokens stop working."""
    path = f"/v1/referrals/{uuid4()}"  # past sign-in it needs the database: 503 here

    async def answer(client: httpx.AsyncClient, token: str) -> int:
        response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
        if response.status_code == 503:  # the database's, not the identity provider's
            assert "database" in response.json()["detail"], response.text
        return response.status_code

    with identity_provider(tmp_path) as first:
        for name, value in first.service_env().items():
            monkeypatch.setenv(name, value)
        app = create_app()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
        old_token = await fetch_token(first.issuer, "leeds-caseworker")
        assert await answer(client, old_token) == 503  # signed in (the keys fetched)

    try:
        with identity_provider(tmp_path, port=first.port) as rotated:
            new_token = await fetch_token(rotated.issuer, "leeds-caseworker")
            assert (
                jwt.get_unverified_header(new_token)["kid"]
                != jwt.get_unverified_header(old_token)["kid"]
            )
            provider: auth.IdentityProvider = service_state(app).identity_provider
            # Just fetched: an unknown kid does not make it fetch again yet (no key-id spam).
            assert await answer(client, new_token) == 401
            keys = provider.signing_keys
            keys._fetched_at -= keys.refresh_interval_s  # the interval has passed
            assert await answer(client, new_token) == 503  # refetched: signed in
            assert await answer(client, old_token) == 401  # the old key is no longer published
    finally:
        await client.aclose()
