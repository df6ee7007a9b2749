"""The local GOV.UK Notify checks a token's signature once (the official client makes one a
second), but its clock and its key on every use."""

from __future__ import annotations

import time
from typing import Any
from uuid import uuid4

import jwt
import pytest

from devtools.local_notify import DEV_SECRET, DEV_SERVICE_ID, LocalNotify, NotifyError


def _bearer(iat: float) -> str:
    token = jwt.encode({"iss": DEV_SERVICE_ID, "iat": int(iat)}, DEV_SECRET, algorithm="HS256")
    return f"Bearer {token}"


def test_a_token_is_verified_once_and_its_clock_checked_on_every_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decoded = []
    decode = jwt.decode

    def counted(*args: Any, **kwargs: Any) -> Any:
        decoded.append(args[0])
        return decode(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counted)  # as local_notify calls it
    notify, now = LocalNotify(), time.time()
    token = _bearer(now)
    assert notify.authenticate(token) == DEV_SERVICE_ID
    first = len(decoded)
    assert notify.authenticate(token) == DEV_SERVICE_ID
    assert notify.authenticate(token) == DEV_SERVICE_ID
    assert len(decoded) == first  # the same token: not decoded again

    monkeypatch.setattr(time, "time", lambda: now + 31)
    with pytest.raises(NotifyError) as late:
        notify.authenticate(token)
    assert (late.value.status, late.value.error) == (403, "AuthError")
    assert "clock" in late.value.message


def test_a_kept_token_proves_nothing_once_its_key_is_gone() -> None:
    notify = LocalNotify()
    token = _bearer(time.time())
    assert notify.authenticate(token) == DEV_SERVICE_ID
    notify.secrets[DEV_SERVICE_ID] = str(uuid4())  # the key revoked, another issued
    with pytest.raises(NotifyError) as refused:
        notify.authenticate(token)
    assert refused.value.status == 403
    assert refused.value.message == "Invalid token: signature, api token not found"


def test_a_bad_token_is_refused_every_time() -> None:
    notify = LocalNotify()
    forged = jwt.encode({"iss": DEV_SERVICE_ID, "iat": int(time.time())}, str(uuid4()),
                        algorithm="HS256")  # fmt: skip
    for _ in range(2):
        with pytest.raises(NotifyError) as refused:
            notify.authenticate(f"Bearer {forged}")
        assert refused.value.status == 403
