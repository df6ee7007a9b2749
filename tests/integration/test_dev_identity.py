"""The development identity provider's tokens over real HTTP: what they say about whom, and that
PyJWT accepts them against the issuer's JWKS as a service will."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import httpx
import jwt
import pytest

from devtools.dev_identity import (
    fetch_client_token,
    fetch_token,
    fetch_token_sync,
    jwk_thumbprint,
)
from devtools.dev_identity_seed import BRADFORD, LEEDS
from scripts.platform import IdentityProvider
from tests.identity import identity_provider, validated

AUDIENCE = "send-platform"


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdentityProvider]:
    with identity_provider(tmp_path_factory.mktemp("logs")) as running:
        yield running


async def test_discovery_document_names_the_issuer_and_its_endpoints(
    provider: IdentityProvider,
) -> None:
    issuer = provider.issuer
    async with httpx.AsyncClient() as client:
        document = (await client.get(f"{issuer}/.well-known/openid-configuration")).json()

    assert document["issuer"] == issuer
    assert document["jwks_uri"] == f"{issuer}/jwks.json"
    assert document["token_endpoint"] == f"{issuer}/token"
    assert document["grant_types_supported"] == [
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "password",
    ]
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
    assert document["response_types_supported"] == ["code"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["authorization_endpoint"] == f"{issuer}/authorize"
    assert document["end_session_endpoint"] == f"{issuer}/end-session"
    assert document["subject_types_supported"] == ["public"]
    assert "development and tests only" in document["x-warning"]


def test_token_is_signed_by_the_jwks_key_named_by_its_thumbprint(
    provider: IdentityProvider,
) -> None:
    token = fetch_token_sync(provider.issuer, "leeds-caseworker")
    keys = httpx.get(f"{provider.issuer}/jwks.json").json()["keys"]

    [key] = keys
    assert {name: key[name] for name in ("kty", "alg", "use")} == {
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
    }
    assert key["kid"] == jwk_thumbprint(key)
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": key["kid"], "typ": "JWT"}
    # PyJWKClient is how many services find the key: by the token's kid, in the JWKS.
    signing_key = jwt.PyJWKClient(f"{provider.issuer}/jwks.json").get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token, signing_key, algorithms=["RS256"], audience=AUDIENCE, issuer=provider.issuer
    )
    assert claims["sub"] == "leeds-caseworker"


@pytest.mark.parametrize(
    ("username", "role", "council"),
    [
        ("leeds-caseworker", "caseworker", LEEDS),
        ("leeds-manager", "manager", LEEDS),
        ("leeds-auditor", "auditor", LEEDS),
        ("bradford-caseworker", "caseworker", BRADFORD),
        ("bradford-manager", "manager", BRADFORD),
        ("bradford-auditor", "auditor", BRADFORD),
    ],
)
async def test_staff_token_says_who_for_which_council_and_nothing_more(
    provider: IdentityProvider, username: str, role: str, council: str
) -> None:
    claims = await validated(await fetch_token(provider.issuer, username), provider.issuer)

    assert claims["iss"] == provider.issuer
    assert claims["aud"] == AUDIENCE
    assert claims["sub"] == username
    assert claims["roles"] == [role]
    assert claims["local_authorities"] == [council]
    assert claims["nbf"] == claims["iat"]
    assert claims["exp"] - claims["iat"] == 3600
    assert UUID(claims["jti"]).version == 4
    # Ids and roles only: no name, and no client for a person at a terminal.
    assert set(claims) == {"iss", "aud", "sub", "iat", "nbf", "exp", "jti", "roles"} | {
        "local_authorities"
    }


@pytest.mark.parametrize(
    ("username", "role", "scope"),
    [
        ("leeds-senco", "school", {"school_urns": ["107958"]}),
        ("leeds-senco-2", "school", {"school_urns": ["107960"]}),
        ("leeds-slt", "specialist", {"registry_entry": "5b1c0c4e-0000-4000-8000-000000000001"}),
        (
            "leeds-slt-south",
            "specialist",
            {"registry_entry": "5b1c0c4e-0000-4000-8000-000000000002"},
        ),
    ],
)
async def test_a_token_of_someone_outside_the_council_carries_the_claim_scoping_them(
    provider: IdentityProvider, username: str, role: str, scope: dict[str, object]
) -> None:
    claims = await validated(await fetch_token(provider.issuer, username), provider.issuer)

    assert claims["roles"] == [role]
    assert claims["local_authorities"] == [LEEDS]
    assert {k: claims[k] for k in scope} == scope
    assert set(claims) - {"iss", "aud", "sub", "iat", "nbf", "exp", "jti"} == {
        "roles",
        "local_authorities",
        *scope,
    }


async def test_partner_system_token_carries_role_partner_and_every_council_it_serves(
    provider: IdentityProvider,
) -> None:
    token = await fetch_client_token(provider.issuer, "west-yorkshire-slt", "dev-secret")

    claims = await validated(token, provider.issuer)

    assert claims["sub"] == claims["azp"] == "west-yorkshire-slt"
    assert claims["roles"] == ["partner"]
    assert claims["local_authorities"] == [LEEDS, BRADFORD]


async def test_partner_system_can_authenticate_with_http_basic(provider: IdentityProvider) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{provider.issuer}/token",
            data={"grant_type": "client_credentials"},
            auth=("leeds-community-paediatrics", "dev-secret"),
        )

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["token_type"] == "Bearer"
    claims = await validated(response.json()["access_token"], provider.issuer)
    assert claims["azp"] == "leeds-community-paediatrics"
    assert claims["local_authorities"] == [LEEDS]


async def test_token_for_another_audience_is_not_accepted_by_the_platform(
    provider: IdentityProvider,
) -> None:
    token = await fetch_token(provider.issuer, "leeds-manager", audience="another-system")

    assert (await validated(token, provider.issuer, audience="another-system"))["aud"] == (
        "another-system"
    )
    with pytest.raises(jwt.InvalidAudienceError):
        await validated(token, provider.issuer)


async def test_expires_in_sets_the_lifetime(provider: IdentityProvider) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{provider.issuer}/token",
            data={"grant_type": "password", "username": "leeds-auditor", "password": "dev"}
            | {"expires_in": "60"},
        )
    claims = await validated(response.json()["access_token"], provider.issuer)

    assert response.json()["expires_in"] == 60
    assert claims["exp"] - claims["iat"] == 60


async def test_a_token_of_no_lifetime_is_already_expired(provider: IdentityProvider) -> None:
    token = await fetch_token(provider.issuer, "leeds-caseworker", expires_in=0)

    with pytest.raises(jwt.ExpiredSignatureError):
        await validated(token, provider.issuer)
