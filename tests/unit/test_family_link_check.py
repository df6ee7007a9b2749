"""The family-link check both services use (``shared.family_links.admit``): a link opens one
referral, for its council only, as the family; anything else is refused and admits no one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import pytest
from pydantic import SecretStr

from shared.auth import Principal
from shared.family_links import InvalidFamilyLink, admit, mint

KEY = SecretStr("a-family-link-key-for-these-tests-only-32b")


def _request(key: SecretStr = KEY) -> Any:
    """What ``admit`` reads and writes of a FastAPI request: the app's key, the state."""
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(family_link_key=key)),
                           state=SimpleNamespace())  # fmt: skip


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
