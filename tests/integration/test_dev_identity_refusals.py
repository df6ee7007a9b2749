"""The development identity provider refuses what it should, with RFC 6749 errors (400, or
401 for a client that failed to authenticate) that say what to send instead."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from devtools.dev_identity import fetch_client_token, fetch_token
from devtools.dev_identity_client import TokenRefused
from scripts.platform import IdentityProvider
from tests.identity import identity_provider

CASEWORKER = {"grant_type": "password", "username": "leeds-caseworker", "password": "dev"}
PARTNER = {
    "grant_type": "client_credentials",
    "client_id": "west-yorkshire-slt",
    "client_secret": "dev-secret",
}


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdentityProvider]:
    with identity_provider(tmp_path_factory.mktemp("logs")) as running:
        yield running


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        pytest.param(CASEWORKER | {"password": "wrong"}, 400, "invalid_grant", id="wrong-password"),
        pytest.param(CASEWORKER | {"username": "leeds-nobody"}, 400, "invalid_grant", id="no-user"),
        pytest.param(
            CASEWORKER | {"username": "west-yorkshire-slt"},
            400,
            "invalid_grant",
            id="client-as-user",
        ),
        pytest.param(PARTNER | {"client_secret": "dev"}, 401, "invalid_client", id="wrong-secret"),
        pytest.param(
            PARTNER | {"client_id": "nhs-elsewhere"}, 401, "invalid_client", id="no-client"
        ),
        pytest.param(
            PARTNER | {"client_id": "leeds-caseworker", "client_secret": "dev"},
            401,
            "invalid_client",
            id="user-as-client",
        ),
        pytest.param({"grant_type": "client_credentials"}, 401, "invalid_client", id="no-secret"),
        pytest.param(
            {"grant_type": "device_code", "device_code": "x"},
            400,
            "unsupported_grant_type",
            id="unknown-grant",
        ),
        pytest.param(
            {"grant_type": "authorization_code", "code": "x"},
            401,
            "invalid_client",
            id="code-without-the-workspace-client",
        ),
        pytest.param({"username": "leeds-caseworker"}, 400, "invalid_request", id="no-grant"),
        pytest.param(CASEWORKER | {"expires_in": "86401"}, 400, "invalid_request", id="too-long"),
        pytest.param(CASEWORKER | {"expires_in": "-1"}, 400, "invalid_request", id="negative"),
        pytest.param(CASEWORKER | {"expires_in": "1h"}, 400, "invalid_request", id="not-seconds"),
    ],
)
async def test_refused_request_gets_an_rfc_6749_error_and_no_token(
    provider: IdentityProvider, form: dict[str, str], status: int, error: str
) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{provider.issuer}/token", data=form)

    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.json()["error_description"]
    assert "access_token" not in response.json()
    assert response.headers["cache-control"] == "no-store"


async def test_wrong_basic_credentials_get_401_with_a_challenge(provider: IdentityProvider) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{provider.issuer}/token",
            data={"grant_type": "client_credentials"},
            auth=("west-yorkshire-slt", "wrong"),
        )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic ")


@pytest.mark.parametrize(
    ("request_kwargs", "named"),
    [
        pytest.param({"json": CASEWORKER}, "application/x-www-form-urlencoded", id="json-body"),
        pytest.param(
            {
                "content": "grant_type=password&grant_type=client_credentials",
                "headers": {"content-type": "application/x-www-form-urlencoded"},
            },
            "grant_type is given more than once",
            id="repeated",
        ),
        pytest.param(
            {"data": PARTNER, "auth": ("west-yorkshire-slt", "dev-secret")},
            "HTTP Basic or the form, not both",
            id="two-client-authentications",
        ),
    ],
)
async def test_malformed_request_is_invalid_request_naming_the_fault(
    provider: IdentityProvider, request_kwargs: dict[str, Any], named: str
) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{provider.issuer}/token", **request_kwargs)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert named in response.json()["error_description"]


async def test_client_helpers_raise_with_the_issuers_reason(provider: IdentityProvider) -> None:
    with pytest.raises(TokenRefused, match="invalid_grant"):
        await fetch_token(provider.issuer, "leeds-caseworker", password="wrong")
    with pytest.raises(TokenRefused, match="invalid_client"):
        await fetch_client_token(provider.issuer, "west-yorkshire-slt", "wrong")
