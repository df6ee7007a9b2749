"""The development identity provider keeps its signing key in a key file, so a token fetched
before `make run` restarts still works after it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from shared.dev_identity import fetch_token
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
