"""The official Notify client reads its proxy and CA bundle from the environment once, when
each worker thread's client is made, not at every request (#25: that reading was ~3% of the
notifications service's CPU at 50 referrals/s through Notify), and still goes through the
proxy the environment names (the chart's ``HTTPS_PROXY`` egress proxy)."""

from __future__ import annotations

import pytest
import requests.sessions
import requests.utils
from notifications.channels import Unavailable
from notifications.notify import NotifyChannel
from pydantic import SecretStr

from devtools.local_notify import DEV_API_KEY, LocalNotify
from tests.integration.messaging import serving

UNKNOWN = "00000000-0000-0000-0000-000000000001"


async def test_the_client_goes_through_the_environments_proxy_reading_it_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with serving(LocalNotify().app()) as notify_url:
        # Notify's address resolves nowhere: only the proxy (the local Notify) can answer.
        monkeypatch.setenv("HTTP_PROXY", notify_url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        channel = NotifyChannel(
            SecretStr(DEV_API_KEY), templates={}, base_url="http://notify.invalid"
        )
        reads = 0
        environ_proxies = requests.utils.get_environ_proxies

        def counted(url: str, no_proxy: str | None = None) -> dict[str, str]:
            nonlocal reads
            reads += 1
            return environ_proxies(url, no_proxy=no_proxy)

        monkeypatch.setattr(requests.sessions, "get_environ_proxies", counted)
        for _ in range(3):
            assert await channel.status(UNKNOWN) is None  # Notify's 404: reached, not known
        assert reads == 0  # read when the client was made, not at each request

        monkeypatch.setenv("NO_PROXY", "notify.invalid")  # a new client reads it afresh
        fresh = NotifyChannel(
            SecretStr(DEV_API_KEY), templates={}, base_url="http://notify.invalid"
        )
        with pytest.raises(Unavailable):
            await fresh.status(UNKNOWN)  # no proxy for it now: nowhere to go
