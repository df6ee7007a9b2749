"""The caseload's filters as the page asks for them: a GET query of codes and ids only (a
track, a stage, deadlines at risk or missed, a registry entry, waiting for a specialist).
Their values are codes the page itself offers: anything else in a hand-edited address is left
out, not an error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from starlette.datastructures import FormData

from web import words

DEADLINE_STATES = {"at_risk": "At risk", "missed": "Missed"}
NEEDS_TRIAGE = "needs_triage"
"""A stage of the page's own: NHS partners' referrals waiting for their need (#23), which the
API filters by ``needs_triage``, not by a status."""


@dataclass(frozen=True)
class Filters:
    """The caseload's filters, as codes the page offers (anything else dropped)."""

    track: str = ""
    status: str = ""
    deadline: tuple[str, ...] = ()
    team: str = ""
    waiting: bool = False

    @classmethod
    def of(
        cls,
        track: str | None,
        status: str | None,
        deadline: list[str],
        team: str | None,
        waiting: str | None,
    ) -> Filters:
        return cls(
            track=track if track in words.TRACKS else "",
            status=status
            if status in words.STAGES or status in words.STATUSES or status == NEEDS_TRIAGE
            else "",
            deadline=tuple(d for d in DEADLINE_STATES if d in deadline),
            team=str(_uuid(team) or ""),
            waiting=waiting == "yes",
        )

    @classmethod
    def posted(cls, form: FormData) -> Filters:
        """The filters a search form carries along (hidden fields), as a query gives them."""

        def one(name: str) -> str | None:
            value = form.get(name)
            return value if isinstance(value, str) else None

        deadline = [v for v in form.getlist("deadline") if isinstance(v, str)]
        return cls.of(one("track"), one("status"), deadline, one("team"), one("waiting"))

    def api(self) -> dict[str, Any]:
        """The filters as the referrals API's caseload takes them (those set only)."""
        chosen: dict[str, Any] = {
            "track": self.track or None,
            "status": self.status if self.status not in ("", NEEDS_TRIAGE) else None,
            "needs_triage": True if self.status == NEEDS_TRIAGE else None,
            "deadline": list(self.deadline) or None,
            "team": self.team or None,
            "waiting": True if self.waiting else None,
        }
        return {k: v for k, v in chosen.items() if v is not None}

    def query(self, **more: Any) -> str:
        """The page's address with these filters (and ``more``, e.g. the page)."""
        pairs: list[tuple[str, Any]] = [
            ("track", self.track),
            ("status", self.status),
            *(("deadline", d) for d in self.deadline),
            ("team", self.team),
            ("waiting", "yes" if self.waiting else ""),
            *more.items(),
        ]
        kept = urlencode([(k, v) for k, v in pairs if v])
        return f"/caseload?{kept}" if kept else "/caseload"

    @property
    def any(self) -> bool:
        return bool(self.track or self.status or self.deadline or self.team or self.waiting)


def _uuid(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None
