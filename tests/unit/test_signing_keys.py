"""The identity provider's signing keys, fetched from a real (tiny, local) JWKS server: a key
the service cannot use is skipped, never a 500 for every token; during the provider's outage
requests naming unknown keys share one fetch, and after a failure wait out a backoff (503 with
Retry-After) instead of each trying again."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import HTTPException

from shared.auth import IdentityProvider

ISSUER = "https://login.example.gov.uk"
AUDIENCE = "send-platform"


@dataclass
class JwksServer:
    """What the server answers (``keys``, or ``status`` for an outage, after ``delay_s``) and
    how many requests it had."""

    keys: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    delay_s: float = 0.0
    requests: int = 0
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    state = JwksServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with state.lock:
                state.requests += 1
            time.sleep(state.delay_s)  # the server's own slowness, in its thread
            body = json.dumps({"keys": state.keys}).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/keys"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class SigningKey:
    def __init__(self, kid: str | None) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        public: dict[str, Any] = jwt.algorithms.RSAAlgorithm.to_jwk(
            self.private.public_key(), as_dict=True
        )
        return {**public, "use": "sig", **({"kid": self.kid} if self.kid else {})}

    def token(self, kid: str | None = None) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "caseworker-1", "iat": now,
                  "exp": now + 300, "roles": ["caseworker"]}  # fmt: skip
        return jwt.encode(claims, self.private, "RS256", headers={"kid": kid or self.kid})


@pytest.fixture(scope="module")
def good() -> SigningKey:
    return SigningKey("k1")


def provider(server: JwksServer) -> IdentityProvider:
    return IdentityProvider(ISSUER, AUDIENCE, jwks_url=server.url)


async def test_a_published_key_without_kid_is_skipped_and_tokens_of_the_others_still_pass(
    jwks: JwksServer, good: SigningKey, caplog: pytest.LogCaptureFixture
) -> None:
    kidless = SigningKey(None).jwk()
    jwks.keys = [kidless, good.jwk()]

    with caplog.at_level(logging.WARNING):
        principal = await provider(jwks).principal(good.token())

    assert principal.subject == "caseworker-1"
    assert "kid (none), kty 'RSA': it has no kid" in caplog.text
    assert kidless["n"] not in caplog.text  # the key itself is never logged


async def test_a_published_key_of_a_type_the_service_cannot_use_is_skipped(
    jwks: JwksServer, good: SigningKey, caplog: pytest.LogCaptureFixture
) -> None:
    # A post-quantum ML-DSA key (JOSE's "AKP" type) beside the RSA one: PyJWT has no use for
    # it, and a token naming it is simply not signed by a key the service checks with.
    post_quantum = {"kty": "AKP", "alg": "ML-DSA-44", "kid": "pq1", "pub": "A" * 64}
    jwks.keys = [post_quantum, good.jwk()]
    idp = provider(jwks)

    with caplog.at_level(logging.WARNING):
        principal = await idp.principal(good.token())
        with pytest.raises(HTTPException) as refused:
            await idp.principal(good.token(kid="pq1"))

    assert principal.subject == "caseworker-1"
    assert refused.value.status_code == 401
    assert "kid 'pq1', kty 'AKP': its type is not RSA or EC" in caplog.text
    assert "A" * 64 not in caplog.text


async def test_concurrent_tokens_naming_unknown_keys_during_an_outage_share_one_fetch(
    jwks: JwksServer, good: SigningKey
) -> None:
    jwks.status, jwks.delay_s = 503, 0.3
    idp = provider(jwks)

    answers = await asyncio.gather(
        *(idp.principal(good.token(kid=f"rotated-{n}")) for n in range(8)),
        return_exceptions=True,
    )

    assert jwks.requests == 1
    for answer in answers:
        assert isinstance(answer, HTTPException)
        assert answer.status_code == 503
        assert int((answer.headers or {})["Retry-After"]) >= 1


async def test_after_a_failed_fetch_the_keys_are_not_fetched_again_until_the_backoff_ends(
    jwks: JwksServer, good: SigningKey
) -> None:
    jwks.status = 503
    idp = provider(jwks)
    now = [1000.0]
    idp.signing_keys.clock = lambda: now[0]

    async def refused_for() -> str:
        with pytest.raises(HTTPException) as refused:
            await idp.principal(good.token())
        assert refused.value.status_code == 503
        return (refused.value.headers or {})["Retry-After"]

    assert await refused_for() == "1"  # the first failure: 1 s
    assert await refused_for() == "1"  # within it: answered at once, not fetched
    assert jwks.requests == 1
    now[0] += 1.0
    assert await refused_for() == "2"  # fetched again, failed again: the wait doubles
    assert jwks.requests == 2
    now[0] += 1.0
    assert await refused_for() == "1"
    assert jwks.requests == 2

    jwks.status, jwks.keys = 200, [good.jwk()]  # the provider is back
    now[0] += 1.0
    assert (await idp.principal(good.token())).subject == "caseworker-1"
    assert jwks.requests == 3
