"""The family-link check both services use (``shared.family_links.admit``): a link opens one
referral, for its council only, as the family; anything else is refused and admits no one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import jwt
import pytest
from pydantic import SecretStr

from shared.auth import Principal
from shared.family_links import InvalidFamilyLink, admit, mint
from shared.state import install
from tests.app_state import bare_state

KEY = SecretStr("a-family-link-key-for-these-tests-only-32b")


def _request(key: SecretStr = KEY) -> Any:
    """What ``admit`` reads and writes of a FastAPI request: the app's key, the state."""
    app = SimpleNamespace(state=SimpleNamespace())
    install(app, bare_state(family_link_key=key))
    return SimpleNamespace(app=app, state=SimpleNamespace())


def test_a_link_admits_its_family_for_its_referrals_council_only() -> None:
    referral_id = uuid4()
    token = mint(KEY, referral_id=referral_id, local_authority="E08000035",
                 valid_for=timedelta(days=90))  # fmt: skip
    request = _request()

    link = admit(request, token)

    assert (link.referral_id, link.local_authority) == (referral_id, "E08000035")
    assert request.state.principal == Principal(
        subject=f"family-link:{link.link_id}",
        roles=frozenset({"family"}),
        councils=("E08000035",),
        token_id=link.link_id,
    )


@pytest.mark.parametrize(
    "token",
    [
        mint(SecretStr("another-key-another-key-another-key"), referral_id=uuid4(),
             local_authority="E08000035", valid_for=timedelta(days=1)),
        mint(KEY, referral_id=uuid4(), local_authority="E08000035", valid_for=timedelta(days=1),
             now=datetime.now(UTC) - timedelta(days=2)),
        "not-a-link-at-all-not-a-link-at-all",
    ],
    ids=["other key", "expired", "not a token"],
)  # fmt: skip
def test_a_link_that_does_not_verify_admits_no_one(token: str) -> None:
    request = _request()
    with pytest.raises(InvalidFamilyLink):
        admit(request, token)
    assert not hasattr(request.state, "principal")


def _signed(**claims: Any) -> str:
    """A link token as ``mint`` makes it, with ``claims`` changed (None: left out)."""
    now = int(datetime.now(UTC).timestamp())
    base = {
        "iss": "send-platform", "aud": "send-family-view", "sub": str(uuid4()),
        "la": "E08000035", "iat": now, "exp": now + 3600, "jti": uuid4().hex,
    }  # fmt: skip
    merged = {k: v for k, v in {**base, **claims}.items() if v is not None}
    return jwt.encode(merged, KEY.get_secret_value(), algorithm="HS256")


def test_a_link_carries_the_link_generation_its_issuer_knew() -> None:
    token = mint(KEY, referral_id=uuid4(), local_authority="E08000035",
                 valid_for=timedelta(days=1), generation=3)  # fmt: skip
    assert admit(_request(), token).generation == 3
    assert admit(_request(), _signed(gen=None)).generation == 0  # made before generations


@pytest.mark.parametrize("generation", ["1", -1, 1.5, True, [1]], ids=repr)
def test_a_link_whose_generation_is_not_a_count_is_refused(generation: Any) -> None:
    token = _signed(gen=generation)
    with pytest.raises(InvalidFamilyLink):
        admit(_request(), token)
