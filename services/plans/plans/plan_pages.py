"""The plan as the document a council sends and a family downloads (PDF): one Jinja2 template
(autoescaped), which WeasyPrint prints with ``static/plans/print.css`` alone and may fetch
nothing (no network, no files). The family's page is the workspace's (``services/web``),
rendered from the same plan as JSON."""

from __future__ import annotations

import logging
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.responses import Response

STATIC = Path(str(files("plans") / "static"))

templates = Environment(
    loader=PackageLoader("plans", "templates"), autoescape=True, undefined=StrictUndefined
)
_PRINT_CSS = (STATIC / "plans" / "print.css").read_text(encoding="utf-8")


def html_for_print(name: str, **context: Any) -> str:
    return templates.get_template(name).render(**context)


def pdf(html: str) -> bytes:
    """The document, A4, with page numbers (blocking: run it in a worker thread)."""
    # Imported on first use: loading WeasyPrint (its fonts, its own stylesheets) takes seconds.
    from weasyprint import CSS, HTML, URLFetcher  # type: ignore[import-untyped]  # no types

    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # a line per step
    fetcher = URLFetcher(allowed_protocols=())  # a plan loads nothing from anywhere
    # Tagged (PDF/UA structure: headings, lists, tables), so a screen reader can follow it.
    document: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=[CSS(string=_PRINT_CSS)], pdf_tags=True
    )
    return document


def pdf_response(document: bytes, reference: str) -> Response:
    """The PDF as a download named by the referral's reference (never a child's name)."""
    return Response(
        document,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="support-plan-{reference}.pdf"',
            "X-Robots-Tag": "noindex, nofollow",
        },
    )
