"""A plan's life, as rules on its state: which step may follow which, and the dates the law
and the plan set. Pure: each step returns the plan as it now stands and the events it caused.

Support track: draft -> shared -> agreed (or changes_requested -> edited -> shared again),
review_due at the earliest outcome's review date -> reviewed. EHC track: draft ->
issued_for_comment (15+ days for comments, Reg 13(1)) -> final (by the statutory date) ->
review_due within 12 months (annual review) -> reviewed.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from shared.events import PlanStatus, Track

COMMENT_DAYS = 15  # Reg 13(1): at least 15 days to comment on a draft EHC plan
REVIEW_MONTHS = 12  # an EHC plan is reviewed at least every 12 months
EDITABLE: frozenset[PlanStatus] = frozenset(
    {"draft", "needs_attention", "changes_requested", "review_due", "issued_for_comment"}
)


class Refused(Exception):
    """The step does not fit where the plan stands (HTTP 409), with the reason."""


class InvalidDate(ValueError):
    """A date or a reason the step needs is wrong: names the field (HTTP 422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Plan:
    id: UUID
    referral_id: UUID
    local_authority: str
    track: Track
    status: PlanStatus
    version: int
    issue_decided: bool = False
    final_plan_due: date | None = None
    comments_until: date | None = None
    no_more_comments: bool = False
    review_due_on: date | None = None

    def step(self) -> dict[str, Any]:
        """What every event about this plan carries (the version it now is)."""
        return {
            "referral_id": self.referral_id,
            "plan_id": self.id,
            "local_authority": self.local_authority,
            "plan_version": self.version,
            "track": self.track,
        }

    def _expect(self, track: Track | None, *statuses: PlanStatus, step: str) -> None:
        if track is not None and self.track != track:
            raise Refused(f"{step}: only an {track}-track plan; this plan is {self.track}-track")
        if self.status not in statuses:
            raise Refused(f"{step}: not while the plan is {self.status}")

    def changed(self, **changes: Any) -> Plan:
        """The next version, with ``changes``."""
        return replace(self, version=self.version + 1, **changes)

    def edit(self) -> Plan:
        """A caseworker's edit: a shared plan waits for the family, an agreed or final one for
        its review."""
        self._expect(None, *EDITABLE, step="editing")
        return self.changed(status="draft" if self.status == "changes_requested" else self.status)

    def share(self) -> Plan:
        self._expect("support", "draft", "changes_requested", step="sharing with the family")
        return self.changed(status="shared")

    def respond(self, agreed: bool, earliest_review: date | None) -> Plan:
        """The family's response: a shared plan agreed or changes asked for; comments on a
        draft EHC plan (``agreed``: they have no more)."""
        if self.track == "ehc":
            self._expect("ehc", "issued_for_comment", step="comments")
            if not agreed or self.no_more_comments:
                return self  # kept with the version they were about; the plan is unchanged
            return self.changed(no_more_comments=True)
        self._expect("support", "shared", step="the family's response")
        if not agreed:
            return self.changed(status="changes_requested")
        return self.changed(status="agreed", review_due_on=earliest_review)

    def issue_for_comment(self, today: date, comments_until: date | None) -> Plan:
        self._expect("ehc", "draft", step="issuing the draft")
        if not self.issue_decided:
            raise Refused(
                "issuing the draft: the council has not decided to issue an EHC plan yet "
                "(record that decision first)"
            )
        earliest = today + timedelta(COMMENT_DAYS)
        if comments_until is not None and comments_until < earliest:
            raise InvalidDate(
                "comments_until", f"the family has at least {COMMENT_DAYS} days: {earliest} on"
            )
        return self.changed(status="issued_for_comment", comments_until=comments_until or earliest)

    def finalise(self, today: date, late_reason: str | None) -> tuple[Plan, list[str]]:
        """The final plan; warnings for the caseworker (late, and why)."""
        self._expect("ehc", "issued_for_comment", step="finalising")
        assert self.comments_until is not None
        if today < self.comments_until and not self.no_more_comments:
            raise Refused(
                f"finalising: the family may comment until {self.comments_until}; finalise "
                "after that, or once they say they have no more comments"
            )
        warnings = []
        if self.late(today):
            if not late_reason:
                raise InvalidDate(
                    "late_reason",
                    f"the final plan was due by {self.final_plan_due}: say why it is late",
                )
            warnings.append(f"late: the final plan was due by {self.final_plan_due}")
        review = add_months(today, REVIEW_MONTHS)
        return self.changed(status="final", review_due_on=review), warnings

    def late(self, today: date) -> bool:
        return self.final_plan_due is not None and today > self.final_plan_due

    def review_is_due(self, today: date) -> Plan | None:
        """review_due once the review date arrives; None when not yet (or already)."""
        if self.status not in ("agreed", "final") or self.review_due_on is None:
            return None
        return self.changed(status="review_due") if self.review_due_on <= today else None

    def reviewed(self, next_review: date) -> Plan:
        self._expect(None, "agreed", "final", "review_due", step="a review")
        settled: PlanStatus = "final" if self.track == "ehc" else "agreed"
        return self.changed(status=settled, review_due_on=next_review)

    def escalated(self) -> Plan | None:
        """A support plan becomes an EHC plan (the draft to be issued); None if it is one."""
        if self.track == "ehc":
            return None
        return self.changed(track="ehc", status="draft", review_due_on=None)


def next_review(track: Track, reviews: list[date], today: date) -> date:
    """After a review: the annual review (EHC), else the next outcome review date to come,
    else a year on."""
    later = sorted(d for d in reviews if d > today)
    if track == "ehc" or not later:
        return add_months(today, REVIEW_MONTHS)
    return later[0]
