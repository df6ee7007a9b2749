"""The plan rendered: one Jinja2 template (autoescaped) for the family's page and for the
PDF a council sends, which WeasyPrint prints with ``static/plans/print.css`` alone and may
fetch nothing (no network, no files)."""

from __future__ import annotations

import logging
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

STATIC = Path(str(files("plans") / "static"))

PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
"""The family page loads its stylesheets from this service and nothing else; its one form
posts here. No script at all."""

FAMILY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Content-Security-Policy": PAGE_POLICY,
}

templates = Jinja2Templates(
    env=Environment(
        loader=PackageLoader("plans", "templates"), autoescape=True, undefined=StrictUndefined
    )
)
_PRINT_CSS = (STATIC / "plans" / "print.css").read_text(encoding="utf-8")


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """``name`` rendered for a browser, with the family page's headers."""
    return templates.TemplateResponse(
        request,
        name,
        {"for_print": False, "council": None, **context},
        status_code=status_code,
        headers=FAMILY_HEADERS,
    )


def html_for_print(name: str, **context: Any) -> str:
    return templates.get_template(name).render(for_print=True, **context)


def pdf(html: str) -> bytes:
    """The document, A4, with page numbers (blocking: run it in a worker thread)."""
    # Imported on first use: loading WeasyPrint (its fonts, its own stylesheets) takes seconds.
    from weasyprint import CSS, HTML, URLFetcher  # type: ignore[import-untyped]  # no types

    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # a line per step
    fetcher = URLFetcher(allowed_protocols=())  # a plan loads nothing from anywhere
    document: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=[CSS(string=_PRINT_CSS)]
    )
    return document


def pdf_response(document: bytes, reference: str) -> Response:
    """The PDF as a download named by the referral's reference (never a child's name)."""
    return Response(
        document,
        media_type="application/pdf",
        headers={
            **FAMILY_HEADERS,
            "Content-Disposition": f'attachment; filename="support-plan-{reference}.pdf"',
        },
    )
