"""The development identity provider's signing key: its id is the RFC 7638 thumbprint, and a
key file keeps it across restarts."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from devtools.dev_identity import jwk_thumbprint, load_or_create_key, public_jwk

# RFC 7638 section 3.1: the example key and the thumbprint the RFC gives for it.
RFC_7638_KEY = {
    "kty": "RSA",
    "n": (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
        "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_F"
        "DW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4"
        "vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    ),
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}
RFC_7638_THUMBPRINT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_thumbprint_is_the_one_rfc_7638_gives_for_its_example_key() -> None:
    assert jwk_thumbprint(RFC_7638_KEY) == RFC_7638_THUMBPRINT


def test_published_key_is_named_by_its_thumbprint_and_holds_no_private_part() -> None:
    key = RSAAlgorithm.from_jwk(RFC_7638_KEY)
    assert isinstance(key, rsa.RSAPublicKey)

    published = public_jwk(key)

    assert published == {
        "kty": "RSA",
        "n": RFC_7638_KEY["n"],
        "e": "AQAB",
        "kid": RFC_7638_THUMBPRINT,
        "alg": "RS256",
        "use": "sig",
    }


def test_key_file_is_written_owner_only_and_read_back_as_the_same_key(tmp_path: Path) -> None:
    key_file = tmp_path / "dev-identity" / "key.pem"

    first = load_or_create_key(key_file)
    again = load_or_create_key(key_file)

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.key_size == 2048
    assert public_jwk(again.public_key())["kid"] == public_jwk(first.public_key())["kid"]
    assert list(key_file.parent.iterdir()) == [key_file]  # no half-written file left behind


def test_without_a_key_file_each_start_has_a_new_key() -> None:
    first, second = load_or_create_key(None), load_or_create_key(None)
    assert public_jwk(first.public_key())["kid"] != public_jwk(second.public_key())["kid"]


def test_unreadable_key_file_stops_the_start_saying_what_to_do(tmp_path: Path) -> None:
    key_file = tmp_path / "key.pem"
    key_file.write_text("not a key")

    with pytest.raises(SystemExit, match=r"key\.pem holds no readable PEM private key.*Delete it"):
        load_or_create_key(key_file)
