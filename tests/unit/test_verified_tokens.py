"""A token verified in full is kept until its ``exp`` (``shared.auth.VerifiedTokens``), so the
next request with it is not decoded and checked again by PyJWT (issue #25), and nothing the
full check refuses gets in: not a token past its ``exp``, not one whose key the provider no
longer publishes, not one with a bad signature, which is never kept. Against a real (tiny,
local) JWKS server."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from fastapi import HTTPException

from shared import auth
from shared.auth import IdentityProvider, VerifiedTokens
from tests.unit import test_signing_keys as signing
from tests.unit.test_signing_keys import AUDIENCE, ISSUER, JwksServer, SigningKey

jwks = signing.jwks  # the fixture: a real JWKS server


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each token PyJWT decoded and checked."""
    tokens: list[str] = []
    decode = jwt.decode

    def counted(token: str, *args: Any, **kwargs: Any) -> Any:
        tokens.append(token)
        return decode(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counted)
    return tokens


def _token(key: SigningKey, *, expires_in: float = 300, sub: str = "caseworker-1") -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "iat": now - 60,
              "exp": now + int(expires_in), "roles": ["caseworker"]}  # fmt: skip
    return jwt.encode(claims, key.private, "RS256", headers={"kid": key.kid})


def _provider(jwks: JwksServer, key: SigningKey) -> IdentityProvider:
    jwks.keys = [key.jwk()]
    return IdentityProvider(ISSUER, AUDIENCE, jwks_url=jwks.url)


async def _refused(idp: IdentityProvider, token: str) -> str:
    with pytest.raises(HTTPException) as refused:
        await idp.principal(token)
    assert refused.value.status_code == 401
    return str(refused.value.detail)


async def test_a_token_verified_once_is_not_decoded_again_until_its_exp(
    jwks: JwksServer, decoded: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = SigningKey("k1")
    idp = _provider(jwks, key)
    token = _token(key, expires_in=120)

    first = await idp.principal(token)
    assert await idp.principal(token) == first
    assert len(decoded) == 1

    # Past its exp and PyJWT's leeway: checked in full again, and refused, as ever.
    later = time.time() + 120 + 31
    idp.clock = lambda: later

    class Later(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Later:
            return cls.fromtimestamp(later, tz or UTC)

    monkeypatch.setattr(jwt.api_jwt, "datetime", Later)
    assert "expired" in (await _refused(idp, token)).lower()
    assert len(decoded) == 2


async def test_a_kept_token_is_refused_once_its_key_is_no_longer_published(
    jwks: JwksServer, decoded: list[str]
) -> None:
    old, new = SigningKey("k1"), SigningKey("k2")
    idp = _provider(jwks, old)
    token = _token(old)
    await idp.principal(token)
    await idp.principal(token)
    assert len(decoded) == 1

    jwks.keys = [new.jwk()]  # rotated: the old key withdrawn
    idp.signing_keys._fetched_at -= idp.signing_keys.refresh_interval_s
    await idp.principal(_token(new))  # its unknown kid makes the service fetch the keys
    assert "not one the identity provider publishes" in await _refused(idp, token)
    assert len(idp.verified) == 1  # the new key's token; the old one forgotten


async def test_a_token_with_a_bad_signature_is_never_kept(
    jwks: JwksServer, decoded: list[str]
) -> None:
    key = SigningKey("k1")
    idp = _provider(jwks, key)
    good = _token(key)
    header, payload, signature = good.split(".")
    forged = _token(SigningKey("k1"))  # another key, claiming the same kid
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"

    for _ in range(2):
        await _refused(idp, forged)
        await _refused(idp, tampered)
    assert len(idp.verified) == 0
    assert len(decoded) == 4  # each checked in full each time

    await idp.principal(good)
    assert len(idp.verified) == 1
    await _refused(idp, forged)  # the good one kept changes nothing for another token


def test_the_kept_tokens_are_bounded_the_expired_going_first_then_the_oldest() -> None:
    kept = VerifiedTokens(limit=3)
    principal = auth.Principal("someone", frozenset({"caseworker"}), ())
    key: Any = object()

    def verified(expires: float) -> Any:
        return auth._Verified(principal, "k1", key, expires)

    kept.keep(b"a", verified(100.0), now=0.0)
    kept.keep(b"b", verified(10.0), now=0.0)
    kept.keep(b"c", verified(100.0), now=0.0)
    kept.keep(b"d", verified(100.0), now=20.0)  # full: b has expired, and goes
    assert [d for d in (b"a", b"b", b"c", b"d") if kept.get(d, 20.0)] == [b"a", b"c", b"d"]
    kept.keep(b"e", verified(100.0), now=20.0)  # full, none expired: the oldest goes
    assert [d for d in (b"a", b"c", b"d", b"e") if kept.get(d, 20.0)] == [b"c", b"d", b"e"]
    kept.keep(b"f", verified(20.0), now=20.0)  # already at its exp: never kept
    assert kept.get(b"f", 20.0) is None
    assert len(kept) == 3
    assert kept.get(b"c", 100.0) is None  # at its exp: gone
