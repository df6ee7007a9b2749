"""What every plan page's template is given: the referral's reference, and the plan's words."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Request
from fastapi.responses import Response

from web import pages, words
from web.plan import sections, wording


def reference(referral_id: UUID | str) -> str:
    """The referral's short reference, as the caseload shows it."""
    return str(referral_id)[:8].upper()


def shown(request: Request, template: str, referral_id: UUID, **context: Any) -> Response:
    """A plan page, with what every plan page's template uses."""
    return pages.render(
        request,
        template,
        referral_id=referral_id,
        reference=reference(referral_id),
        sections=sections,
        wording=wording,
        words=words,
        **context,
    )
