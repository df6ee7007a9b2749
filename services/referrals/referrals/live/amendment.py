"""Amending a plan after its annual review (Reg 22). Pure.

After a decision to amend, the council sends the family its proposed amendments, with at least
15 days to comment on them, to ask for a school or college to be named and to ask for a meeting
(Reg 22(2)-(3)); it issues the amended final plan within 8 weeks of the proposals (Reg 22(5)),
and (case law, 2022) no later than 12 weeks after the review meeting. The amended plan can be
appealed, within 2 months.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from uuid import UUID

from referrals.live.annual_review import AMENDED_PLAN_WEEKS_AFTER_MEETING, APPEAL_MONTHS
from referrals.live.phase_transfer import NamedSetting, PhaseTransfer
from referrals.statutory import InvalidStep, OutOfOrder
from shared.dates import add_months
from shared.events import AmendedPlanIssued, AmendmentsProposed

COMMENT_DAYS = 15  # Reg 22(2): at least 15 days to comment on the proposals
WEEKS_AFTER_PROPOSALS = 8  # Reg 22(5): the amended plan within 8 weeks of the proposals


@dataclass(frozen=True)
class Amendment:
    """A review decided "amend", until its amended plan is issued."""

    review_id: UUID
    referral_id: UUID
    local_authority: str
    held_on: date
    proposals_sent_on: date | None = None
    comments_until: date | None = None


def amended_plan_due(held_on: date, proposals_sent_on: date | None) -> date:
    """The latest day for the amended plan: 12 weeks from the meeting, and 8 weeks from the
    proposals once sent, whichever is earlier."""
    latest = held_on + timedelta(weeks=AMENDED_PLAN_WEEKS_AFTER_MEETING)
    if proposals_sent_on is None:
        return latest
    return min(latest, proposals_sent_on + timedelta(weeks=WEEKS_AFTER_PROPOSALS))


def propose(
    amendment: Amendment, sent_on: date, comments_until: date | None, today: date
) -> tuple[Amendment, AmendmentsProposed]:
    if amendment.proposals_sent_on is not None:
        raise OutOfOrder(f"the proposals were sent on {amendment.proposals_sent_on}")
    if sent_on > today:
        raise InvalidStep("sent_on", f"must not be in the future (today is {today})")
    if sent_on < amendment.held_on:
        raise InvalidStep("sent_on", "the proposals follow the review meeting")
    earliest = sent_on + timedelta(COMMENT_DAYS)
    until = comments_until or earliest
    if until < earliest:
        raise InvalidStep(
            "comments_until", f"at least 15 days for comments (Reg 22): {earliest} or later"
        )
    proposed = replace(amendment, proposals_sent_on=sent_on, comments_until=until)
    event = AmendmentsProposed(
        referral_id=amendment.referral_id,
        local_authority=amendment.local_authority,
        review_id=amendment.review_id,
        sent_on=sent_on,
        comments_until=until,
        amended_plan_due=amended_plan_due(amendment.held_on, sent_on),
        held_on=amendment.held_on,
    )
    return proposed, event


def issue_amended_plan(
    amendment: Amendment,
    issued_on: date,
    today: date,
    transfer: PhaseTransfer | None = None,
    named: NamedSetting | None = None,
) -> AmendedPlanIssued:
    """The amended plan; of a child moving phase (``transfer``), the one naming the next
    setting (``named``, checked by ``phase_transfer.check_next_setting``)."""
    if amendment.proposals_sent_on is None or amendment.comments_until is None:
        raise OutOfOrder("send the proposed amendments first: the family comments on them")
    if issued_on > today:
        raise InvalidStep("issued_on", f"must not be in the future (today is {today})")
    if issued_on < amendment.comments_until:
        raise InvalidStep(
            "issued_on",
            f"the family has until {amendment.comments_until} to comment on the proposals",
        )
    due = amended_plan_due(amendment.held_on, amendment.proposals_sent_on)
    return AmendedPlanIssued(
        referral_id=amendment.referral_id,
        local_authority=amendment.local_authority,
        review_id=amendment.review_id,
        issued_on=issued_on,
        amended_plan_due=due,
        late=issued_on > due,
        appeal_by=add_months(issued_on, APPEAL_MONTHS),
        held_on=amendment.held_on,
        phase_transfer=transfer.kind if transfer else None,
        transfer_due=transfer.due_on if transfer else None,
        next_setting_urn=named.urn if named else None,
        next_setting_ukprn=named.ukprn if named else None,
        next_setting_type=named.setting_type if named else None,
    )
