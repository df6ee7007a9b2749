"""The accessibility statement (``/accessibility``), in the shape of GOV.UK's model statement
for a public sector website: how accessible the workspace is, what is not, how to report a
problem (each council's SEND team, ``COUNCIL_CONTACTS``), the enforcement procedure, and how
it was tested. A council reviews it for its own installation (docs/workspace.md, "What a family
sees")."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web import pages
from web.config import WebSettings
from web.state import state_of

router = APIRouter(include_in_schema=False)

TESTED_ON = date(2026, 12, 6)
"""When the checks below last ran on every page (the browser tests run them on every change;
this date moves when the statement's words are reviewed)."""


@router.get("/accessibility")
async def accessibility(request: Request) -> Response:
    settings: WebSettings = state_of(request).settings
    return pages.render(
        request,
        "accessibility.html",
        address=settings.public_url,
        contacts=list(settings.council_contacts.values()),
        tested_on=TESTED_ON,
    )
