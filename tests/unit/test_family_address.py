"""The family's own address, as the workspace passes it on to the services (each family is
limited by its address there, not all by the workspace's): behind the ingress controller
(``TRUSTED_PROXIES``) the right-most hop it appended, never what the family wrote itself."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from starlette.requests import Request
from web.config import WebSettings
from web.family.link import family_address
from web.state import Opened, Workspace

from shared.state import install


def _request(peer: str, forwarded_for: str | None, trusted: str) -> Request:
    headers = [(b"x-forwarded-for", forwarded_for.encode())] if forwarded_for else []
    app = SimpleNamespace(state=SimpleNamespace())
    nothing = cast("Any", None)  # not read here
    settings = WebSettings(trusted_proxies=trusted)
    install(app, Workspace(nothing, False, settings, nothing, nothing, Opened()))
    scope = {"type": "http", "headers": headers, "client": (peer, 40000), "app": app}
    return Request(scope)


def test_behind_the_ingress_controller_the_family_is_the_hop_it_appended() -> None:
    # A family claiming another address at the left changes nothing.
    request = _request("10.0.0.5", "198.51.100.7, 203.0.113.9", trusted="10.0.0.0/8")
    assert family_address(request) == "203.0.113.9"


def test_a_peer_that_is_no_trusted_proxy_is_the_family_itself() -> None:
    request = _request("203.0.113.9", "198.51.100.7", trusted="10.0.0.0/8")
    assert family_address(request) == "203.0.113.9"
    assert family_address(_request("10.0.0.5", None, trusted="")) == "10.0.0.5"
