"""Which council a manager's page is about: one they act for, chosen with ``?council=`` when
they act for several (the first otherwise); another council's is "Page not found"."""

from __future__ import annotations

from fastapi import Request

from web.backends import NotFound
from web.config import WebSettings
from web.signin import NotAllowed, User
from web.state import state_of


def chosen(request: Request, user: User) -> str:
    """The council the page is for (``NotAllowed`` for someone who acts for none)."""
    if not user.councils:
        raise NotAllowed
    council = request.query_params.get("council") or user.councils[0]
    if council not in user.councils:
        raise NotFound(council)  # another council's: as if there were none
    return council


def name(request: Request, code: str) -> str:
    """The council's name (``COUNCIL_CONTACTS``), else its ONS code."""
    settings: WebSettings = state_of(request).settings
    contact = settings.council_contacts.get(code)
    return contact.name if contact else code


def choices(request: Request, user: User) -> list[tuple[str, str]]:
    """(code, name) of each council the person acts for, for a choice on the page."""
    return [(code, name(request, code)) for code in user.councils]


def names(request: Request) -> dict[str, str]:
    """Every configured council's name, by ONS code (a code missing here is shown as it is)."""
    settings: WebSettings = state_of(request).settings
    return {code: contact.name for code, contact in settings.council_contacts.items()}
