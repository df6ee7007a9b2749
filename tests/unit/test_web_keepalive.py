"""The workspace never sends a call on a connection the service may be closing: its client
keeps idle connections for less time than the services' uvicorn keeps them open."""

from __future__ import annotations

import uvicorn
from web.app import API_KEEPALIVE_S


def test_the_workspaces_idle_connections_expire_before_the_services_close_them() -> None:
    services_keep_alive_s = uvicorn.Config(app="referrals.app:create_app").timeout_keep_alive
    # At least a second apart: a loaded machine delays a call by tens of milliseconds.
    assert services_keep_alive_s - 1 >= API_KEEPALIVE_S
