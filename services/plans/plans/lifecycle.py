"""A plan's life, as rules on its state: which step may follow which, the dates the law and
the plan set, and the events each step causes. Pure: each step returns a ``StepTaken`` (the
plan as it now stands, its events, why), which a unit of work stores.

Support track: draft -> shared -> agreed (or changes_requested -> edited -> shared again),
review_due at the earliest outcome's review date -> reviewed. EHC track: draft ->
issued_for_comment (15+ days for comments, Reg 13(1)) -> final (by the statutory date) ->
review_due within 12 months (annual review) -> reviewed, or amendments_proposed -> final again
(the amended plan, Reg 22: ``plans.amendments``).

(Longer than most modules: every step of the one aggregate, with the events it causes, reads
best together.)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Literal
from uuid import UUID

from plans.checks import check, failed
from plans.document import PlanDocument
from plans.domain import drafted_event
from shared.dates import add_months
from shared.events import (
    DomainEvent,
    PlanAgreed,
    PlanCommentsReceived,
    PlanFinalised,
    PlanIssuedForComment,
    PlanReviewDue,
    PlanRevised,
    PlanShared,
    PlanStatus,
    ReferralReceived,
    Track,
)

Revision = Literal["edited", "reviewed", "advice_received", "escalated", "ehc_plan_drafted"]
"""Why a plan was revised, as ``PlanRevised`` says it."""

COMMENT_DAYS = 15  # Reg 13(1): at least 15 days to comment on a draft EHC plan
REVIEW_MONTHS = 12  # an EHC plan is reviewed at least every 12 months
EDITABLE: frozenset[PlanStatus] = frozenset(
    {
        "draft", "needs_attention", "changes_requested", "review_due", "issued_for_comment",
        "amendments_proposed",
    }
)  # fmt: skip


class Refused(Exception):
    """The step does not fit where the plan stands (HTTP 409), with the reason."""


class InvalidDate(ValueError):
    """A date or a reason the step needs is wrong: names the field (HTTP 422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class StepTaken:
    """A step in a plan's life: the plan as it now stands (a new version, or the same plan
    when the step only kept something with the version it was about), the events it caused,
    why (kept with the version), and what the caseworker should know."""

    plan: Plan
    events: list[DomainEvent]
    reason: str
    warnings: list[str] = field(default_factory=list)
    document: PlanDocument | None = None
    """The document as the step changed it (finalising dates the outcomes from the issue);
    None when the step kept it as it was."""


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
    amending_review: UUID | None = None
    """The annual review whose amendments were last proposed or issued (``plans.amendments``)."""

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

    def _revised(
        self, reason: Revision, why: str, sections: list[str], **changes: Any
    ) -> StepTaken:
        """A new version announced as revised (``reason``), with ``changes``."""
        changed = self.changed(**changes)
        revised = PlanRevised(
            **changed.step(), reason=reason, sections=sections, status=changed.status,
            review_due=changed.review_due_on if reason == "reviewed" else None,
        )  # fmt: skip
        return StepTaken(changed, [revised], why)

    def edit(
        self, key: str, edited: PlanDocument, why: str, *, drafted_from: ReferralReceived | None
    ) -> StepTaken:
        """A caseworker's edit of section ``key`` (``edited``: the plan with it): a shared plan
        waits for the family, an agreed or final one for its review. A draft that needed
        attention and now passes every check becomes a draft, announced (``PlanDrafted``, from
        the referral it was drafted from) as a first draft would have been."""
        self._expect(None, *EDITABLE, step="editing")
        ready = (
            self.status == "needs_attention"
            and drafted_from is not None
            and not failed(check(edited))
        )
        status = "draft" if ready or self.status == "changes_requested" else self.status
        taken = self._revised("edited", why, [key], status=status)
        if not ready:
            return taken
        assert drafted_from is not None
        announced = drafted_event(drafted_from, self.id, edited)
        return replace(taken, events=[*taken.events, announced])

    def share(self, today: date) -> StepTaken:
        """Support track: shared with the family (they can agree or ask for changes)."""
        self._expect("support", "draft", "changes_requested", step="sharing with the family")
        changed = self.changed(status="shared")
        shared = PlanShared(**changed.step(), shared_on=today)
        return StepTaken(changed, [shared], "shared with the family")

    def respond(
        self,
        agreed: bool,
        today: date,
        *,
        reviews: list[date],
        taken_by: Literal["family", "caseworker"],
        preferred_school: str | None,
    ) -> StepTaken:
        """The family's response, kept with the version it was about: a shared plan agreed
        (reviewed at its earliest outcome's review date, ``reviews``) or changes asked for;
        comments on a draft EHC plan or on proposed amendments (``agreed``: they have no
        more; it may name a school)."""
        if self.track == "ehc":
            self._expect("ehc", "issued_for_comment", "amendments_proposed", step="comments")
            done = agreed and not self.no_more_comments
            changed = self.changed(no_more_comments=True) if done else self
        else:
            self._expect("support", "shared", step="the family's response")
            review = min(reviews, default=add_months(today, REVIEW_MONTHS))
            changed = (
                self.changed(status="agreed", review_due_on=review)
                if agreed
                else self.changed(status="changes_requested")
            )
        events: list[DomainEvent] = [
            PlanCommentsReceived(
                **self.step(), received_on=today, agreed=agreed, taken_by=taken_by,
                school_named=self.track == "ehc" and bool(preferred_school),
            )
        ]  # fmt: skip
        if changed.status == "agreed" and changed.review_due_on is not None:
            events.append(
                PlanAgreed(**changed.step(), agreed_on=today, review_due=changed.review_due_on)
            )
        why = "agreed" if agreed else "asked for changes"
        return StepTaken(
            changed, events, f"the family {'has no more comments' if self.track == 'ehc' else why}"
        )

    def issue_for_comment(self, today: date, comments_until: date | None) -> StepTaken:
        """EHC track: the draft issued; the family has 15 days or more to comment."""
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
        until = comments_until or earliest
        changed = self.changed(status="issued_for_comment", comments_until=until)
        issued = PlanIssuedForComment(
            **changed.step(), issued_on=today, comments_until=until,
            final_plan_due=changed.final_plan_due,
        )  # fmt: skip
        return StepTaken(changed, [issued], "draft issued for the family's comments")

    def finalise(self, today: date, late_reason: str | None) -> StepTaken:
        """EHC track: the final plan, after the comment window (or the family's last word),
        by the statutory date; a late one says why (and the caseworker is warned)."""
        self._expect("ehc", "issued_for_comment", step="finalising")
        assert self.comments_until is not None
        if today < self.comments_until and not self.no_more_comments:
            raise Refused(
                f"finalising: the family may comment until {self.comments_until}; finalise "
                "after that, or once they say they have no more comments"
            )
        late = self.late(today)
        if late and not late_reason:
            raise InvalidDate(
                "late_reason",
                f"the final plan was due by {self.final_plan_due}: say why it is late",
            )
        review = add_months(today, REVIEW_MONTHS)
        changed = self.changed(status="final", review_due_on=review)
        finalised = PlanFinalised(
            **changed.step(), finalised_on=today, final_plan_due=self.final_plan_due,
            comments_closed_early=today < self.comments_until, late=late, review_due=review,
        )  # fmt: skip
        if not late:
            return StepTaken(changed, [finalised], "finalised")
        warning = f"late: the final plan was due by {self.final_plan_due}"
        return StepTaken(changed, [finalised], f"finalised late: {late_reason}", [warning])

    def late(self, today: date) -> bool:
        return self.final_plan_due is not None and today > self.final_plan_due

    def review_is_due(self, today: date) -> StepTaken | None:
        """review_due once the review date arrives; None when not yet (or already)."""
        if self.status not in ("agreed", "final") or self.review_due_on is None:
            return None
        if self.review_due_on > today:
            return None
        changed = self.changed(status="review_due")
        due = PlanReviewDue(**changed.step(), review_due=self.review_due_on)
        return StepTaken(changed, [due], "review due")

    def reviewed(self, today: date, reviews: list[date], why: str) -> StepTaken:
        """The plan was reviewed (``why``): a new version, due again at the next review."""
        self._expect(None, "agreed", "final", "review_due", step="a review")
        settled: PlanStatus = "final" if self.track == "ehc" else "agreed"
        review = next_review(self.track, reviews, today)
        return self._revised(
            "reviewed", f"reviewed: {why}", [], status=settled, review_due_on=review
        )

    def escalated(self, final_plan_due: date | None) -> StepTaken | None:
        """A support plan becomes an EHC plan (the draft to be issued, due by the statutory
        date); None if it is one already."""
        if self.track == "ehc":
            return None
        return self._revised(
            "escalated", "escalated to EHC", [], track="ehc", status="draft",
            review_due_on=None, final_plan_due=final_plan_due,
        )  # fmt: skip

    def ehc_plan_drafted(self) -> StepTaken | None:
        """The council decided to issue an EHC plan: it is drafted (a new version, every
        section) from the advice received; None when it is drafted already."""
        drafting = self.status in ("draft", "needs_attention")
        if self.track != "ehc" or self.issue_decided or not drafting:
            return None
        return self._revised(
            "ehc_plan_drafted", "the EHC plan drafted from the advice received", [],
            status="draft", issue_decided=True,
        )  # fmt: skip

    def advice_listed(self) -> StepTaken:
        """Section K lists advice received: a new version."""
        return self._revised("advice_received", "advice received", ["K"])


def next_review(track: Track, reviews: list[date], today: date) -> date:
    """After a review: the annual review (EHC), else the next outcome review date to come,
    else a year on."""
    later = sorted(d for d in reviews if d > today)
    if track == "ehc" or not later:
        return add_months(today, REVIEW_MONTHS)
    return later[0]
