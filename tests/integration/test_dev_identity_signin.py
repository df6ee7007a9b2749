"""Signing in with a browser at the development identity provider, as the workspace does:
the authorization code flow with PKCE (S256), codes used once and only with their verifier
and redirect address, refresh tokens rotated, and logout ending the provider's session."""

from __future__ import annotations

import hashlib
import secrets
from base64 import urlsafe_b64encode
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from devtools.dev_identity_seed import DEV_CLIENT_SECRET
from devtools.dev_identity_signin import SESSION_COOKIE, WORKSPACE_CLIENT_ID
from scripts.platform import IdentityProvider
from tests.identity import validated

REDIRECT = "http://127.0.0.1:8005/sign-in/callback"


def _challenge(verifier: str) -> str:
    return urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


async def _code(client: httpx.AsyncClient, issuer: str, verifier: str) -> str:
    """Sign in as a Leeds caseworker on the provider's page; the code it sends back."""
    asked = {
        "response_type": "code",
        "client_id": WORKSPACE_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "s1",
        "nonce": "n1",
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
    }
    page = await client.get(f"{issuer}/authorize", params=asked)
    assert page.status_code == 200
    assert 'name="username"' in page.text
    answer = await client.post(
        f"{issuer}/authorize", data={**asked, "username": "leeds-caseworker", "password": "dev"}
    )
    assert answer.status_code == 303
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["s1"]
    return query["code"][0]


def _redeem(code: str, verifier: str, redirect: str = REDIRECT) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect,
        "code_verifier": verifier,
        "client_id": WORKSPACE_CLIENT_ID,
        "client_secret": DEV_CLIENT_SECRET,
    }


async def test_a_code_with_its_verifier_gives_tokens_once(identity: IdentityProvider) -> None:
    verifier = secrets.token_urlsafe(48)
    async with httpx.AsyncClient() as client:
        code = await _code(client, identity.issuer, verifier)
        tokens = await client.post(f"{identity.issuer}/token", data=_redeem(code, verifier))
        assert tokens.status_code == 200
        body = tokens.json()
        again = await client.post(f"{identity.issuer}/token", data=_redeem(code, verifier))
    claims = await validated(body["access_token"], identity.issuer)
    assert claims["sub"] == "leeds-caseworker"
    assert claims["local_authorities"] == ["E08000035"]
    assert body["refresh_token"]
    assert body["id_token"]
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("what", ["verifier", "redirect"])
async def test_a_code_is_refused_with_another_verifier_or_redirect_address(
    identity: IdentityProvider, what: str
) -> None:
    verifier = secrets.token_urlsafe(48)
    async with httpx.AsyncClient() as client:
        code = await _code(client, identity.issuer, verifier)
        form = (
            _redeem(code, secrets.token_urlsafe(48))
            if what == "verifier"
            else _redeem(code, verifier, redirect="http://127.0.0.1:9999/sign-in/callback")
        )
        answer = await client.post(f"{identity.issuer}/token", data=form)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


async def test_a_refresh_token_is_used_once_and_logout_ends_them_all(
    identity: IdentityProvider,
) -> None:
    verifier = secrets.token_urlsafe(48)
    async with httpx.AsyncClient() as client:
        code = await _code(client, identity.issuer, verifier)
        first = (await client.post(f"{identity.issuer}/token", data=_redeem(code, verifier))).json()
        refresh = {
            "grant_type": "refresh_token",
            "client_id": WORKSPACE_CLIENT_ID,
            "client_secret": DEV_CLIENT_SECRET,
        }
        second = await client.post(
            f"{identity.issuer}/token", data={**refresh, "refresh_token": first["refresh_token"]}
        )
        assert second.status_code == 200
        reused = await client.post(
            f"{identity.issuer}/token", data={**refresh, "refresh_token": first["refresh_token"]}
        )
        assert reused.status_code == 400  # rotated: the first one is spent

        assert client.cookies.get(SESSION_COOKIE)
        await client.get(
            f"{identity.issuer}/end-session", params={"id_token_hint": first["id_token"]}
        )
        after = await client.post(
            f"{identity.issuer}/token",
            data={**refresh, "refresh_token": second.json()["refresh_token"]},
        )
    assert after.status_code == 400
    assert after.json()["error"] == "invalid_grant"


async def test_an_authorization_request_must_use_pkce_and_a_local_redirect(
    identity: IdentityProvider,
) -> None:
    base = {
        "response_type": "code",
        "client_id": WORKSPACE_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "s",
        "code_challenge": _challenge(secrets.token_urlsafe(48)),
        "code_challenge_method": "S256",
    }
    async with httpx.AsyncClient() as client:
        for bad in (
            {"code_challenge_method": "plain"},
            {"redirect_uri": "https://attacker.example/cb"},
            {"client_id": "someone-else"},
        ):
            page = await client.get(f"{identity.issuer}/authorize", params={**base, **bad})
            assert page.status_code == 400, bad
            assert "location" not in page.headers
