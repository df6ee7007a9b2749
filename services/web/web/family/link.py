"""The family's link, kept in the workspace's session instead of the address bar.

The link in a message is ``/family/{token}``: a key to the child's plan for 90 days. Opened,
its token goes into the family's session (encrypted in the workspace's database, like every
session) and the browser is sent on to ``/family``, so the token leaves the browser's history
and never reaches another site in a ``Referer``. The token is checked by the services on every
page (it may have expired or been withdrawn since), never here: the workspace has no key to it.

The services limit each family's requests by its address. Every family reaches them through
the workspace, so the workspace passes the family's address on in ``X-Forwarded-For`` (the
services trust the workspace's network as a proxy: the chart's ``workspace.podNetwork``); it
reads that address as the services do, believing ``X-Forwarded-For`` only from its own
``TRUSTED_PROXIES`` (the ingress controller).
"""

from __future__ import annotations

from fastapi import Request

from shared.rate_limits import client_address
from web.config import CouncilContact, WebSettings
from web.sessions import session_of
from web.state import state_of

KEPT = "family_link"
LONGEST_TOKEN = 2000
"""Longer than any link the platform makes: refused before it is sent anywhere."""


class LinkNeeded(Exception):
    """No family link in this session (never opened here, or the session timed out)."""


class LinkRefused(Exception):
    """The services refused the link: expired, withdrawn, or not a link."""


def keep(request: Request, token: str) -> None:
    """Keep ``token`` in a new session with a new CSRF token (the visitor's old one is ended,
    as at sign-in), so a session made before the link was opened never holds it."""
    old = session_of(request)
    carried = {k: v for k, v in old.data.items() if k not in {"csrf", "timed_out"}}
    fresh = state_of(request).sessions.start(data={**carried, KEPT: token})
    request.scope["web.session"] = fresh
    request.scope["session"] = fresh.data


def token_of(request: Request) -> str:
    """The link kept in this session, or ``LinkNeeded``."""
    token = session_of(request).data.get(KEPT)
    if not isinstance(token, str) or not token:
        raise LinkNeeded
    return token


def forget(request: Request) -> None:
    session_of(request).data.pop(KEPT, None)


def family_address(request: Request) -> str:
    """The family's own address, as the services should count it."""
    settings: WebSettings = state_of(request).settings
    peer = request.client.host if request.client else "unknown"
    forwarded = request.headers.getlist("x-forwarded-for")
    return client_address(peer, forwarded, settings.trusted_proxies)


def contact_of(request: Request, local_authority: str | None) -> CouncilContact:
    """How the family reaches the council's SEND team (``COUNCIL_CONTACTS``)."""
    contacts: dict[str, CouncilContact] = state_of(request).settings.council_contacts
    return contacts.get(local_authority or "") or CouncilContact(name="your council")


def wants_json(request: Request) -> bool:
    """A program asking for JSON (``Accept: application/json``), not a browser."""
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept
