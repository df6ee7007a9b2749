"""People outside the council are scoped by a claim of their own: a SENCo's token names the
school's URNs, a practitioner's their registry entry. The principal keeps well-formed values
only (anything else scopes to nothing, never to everything), from the claims the council's
identity provider is configured to use."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth import IdentityProvider, Principal

ISSUER = "https://login.example.gov.uk"
AUDIENCE = "send-platform"
ENTRY = "5b1c0c4e-0000-4000-8000-000000000001"


class _Keys:
    """The provider's one signing key, as ``SigningKeys`` would hand it over."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self.jwk = jwt.PyJWK(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True))

    async def key(self, kid: str) -> jwt.PyJWK:
        return self.jwk


async def _principal(claims: dict[str, Any], **provider: Any) -> Principal:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    identity = IdentityProvider(ISSUER, AUDIENCE, jwks_url="https://unused.example", **provider)
    identity.signing_keys = _Keys(private)  # type: ignore[assignment]  # one key, no fetching
    now = int(time.time())
    token = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "sub": "someone", "iat": now, "exp": now + 300,
         "local_authorities": ["E08000035"], **claims},
        private, "RS256", headers={"kid": "k1"},
    )  # fmt: skip
    return await identity.principal(token)


async def test_a_sencos_token_scopes_them_to_the_school_urns_it_names() -> None:
    principal = await _principal({"roles": ["school"], "school_urns": ["107958", "107960"]})

    assert principal.roles == {"school"}
    assert principal.school_urns == ("107958", "107960")
    assert principal.registry_entries == ()


async def test_a_practitioners_token_scopes_them_to_their_registry_entry() -> None:
    principal = await _principal({"roles": ["specialist"], "registry_entry": ENTRY})

    assert principal.registry_entries == (UUID(ENTRY),)
    assert principal.school_urns == ()


async def test_malformed_scope_values_scope_to_nothing_never_to_everything() -> None:
    principal = await _principal(
        {"roles": ["school", "specialist"], "school_urns": ["*", "1079", "107958x", "%"],
         "registry_entry": "*"}
    )  # fmt: skip

    assert principal.school_urns == ()
    assert principal.registry_entries == ()


async def test_the_scope_claims_are_the_ones_the_council_configures() -> None:
    principal = await _principal(
        {"roles": ["school"], "extension_urns": "107958 107960", "school_urns": ["999999"]},
        school_urns_claim="extension_urns",
    )

    assert principal.school_urns == ("107958", "107960")
