"""The workspace's typed state (``shared.state``): its settings, the services' APIs, the
sessions and the identity provider's client, reached by its pages through ``state_of``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request

from shared.state import AppState, app_state
from web.backends import Backends
from web.config import WebSettings
from web.sessions import SessionStore

if TYPE_CHECKING:  # the sign-in pages read this state
    from authlib.integrations.starlette_client import StarletteOAuth2App


@dataclass
class Opened:
    """What the workspace's lifespan opens (the HTTP client): there while it runs."""

    backends: Backends | None = None


@dataclass(frozen=True)
class Workspace(AppState):
    """Everything the workspace's pages read."""

    settings: WebSettings
    sessions: SessionStore
    oauth: StarletteOAuth2App
    opened: Opened

    @property
    def backends(self) -> Backends:
        """The services' APIs (their client opened by the lifespan)."""
        if self.opened.backends is None:
            raise RuntimeError("the workspace's client is not open: its lifespan has not run")
        return self.opened.backends


def state_of(request: Request) -> Workspace:
    """The workspace's state, for a page."""
    state = app_state(request.app)
    if not isinstance(state, Workspace):
        raise RuntimeError(f"{type(state).__name__} is not the workspace's state")
    return state
